"""A Python dogpile.cache peer driven by gosess's Go tests.

Run with Debian's interpreter (/usr/bin/python3) and Debian's
python3-dogpile.cache, python3-pymemcache and python3-redis. It reads one
JSON request on stdin:

    {"region": {"backend": "dogpile.cache.redis", "expiration_time": 60,
                "arguments": {...}, "mangler": "sha1" | null},
     "steps": [{"op": "set", "key": "k", "value": ...}, ...]}

configures a region with dogpile's JSON serializer (the layout gosess's
"dogpile" format reads and writes), runs the steps in order and prints one
JSON line per step: {"ok": true, ...} or {"ok": false, "error": "Type: msg"}.
A step's failure does not stop the steps after it. Steps:

    set          key, value                region.set
    get          key [, expiration_time] [, ignore_expiration]
                                           region.get: {"hit", "value"}
    get_or_create key, value [, expiration_time] [, sleep] [, counter]
                                           region.get_or_create with a creator
                                           that bumps `counter` on the server,
                                           sleeps `sleep` seconds and returns
                                           value: {"value"}
    delete       key
    invalidate   hard                      region.invalidate(hard)
    raw_get      key                       the stored bytes, base64: {"raw"}
                                           (null when absent)
    raw_set      key, raw (base64)         store bytes as they are
    memo         module, function, namespace, args, value [, counter]
                                           a function named function in a
                                           module named module, decorated with
                                           cache_on_arguments(namespace), called
                                           with args ({"float": hex} for a
                                           float): {"value", "key", "called"}
    repr         floats (hex strings)      repr() of each float: {"reprs"}
    mangle       keys                      sha1_mangle_key of each: {"mangled"}
    locked       key                       region.key_is_locked: {"locked"}
    incr         key                       server-side counter +1: {"n"}
    wait_key     key [, timeout]           poll until key exists on the server
    sleep        seconds
    print        text                      print text (a marker for the test)
"""

import base64
import json
import sys
import time
import types

from dogpile.cache import make_region
from dogpile.cache.api import NO_VALUE
from dogpile.cache.util import sha1_mangle_key


def serializer(value):
    return json.dumps(value).encode("utf-8")


def deserializer(data):
    return json.loads(data)


def make(conf):
    mangler = sha1_mangle_key if conf.get("mangler") == "sha1" else None
    region = make_region(
        serializer=serializer, deserializer=deserializer, key_mangler=mangler
    )
    region.configure(
        conf["backend"],
        expiration_time=conf.get("expiration_time"),
        arguments=conf.get("arguments", {}),
    )
    return region


class Server:
    """Raw access to the region's server, for counters and signals."""

    def __init__(self, region):
        backend = region.actual_backend
        self.redis = getattr(backend, "writer_client", None)
        self.memcached = None if self.redis is not None else getattr(backend, "client", None)
        self.local = {}

    def incr(self, key):
        if self.redis is not None:
            return int(self.redis.incr(key))
        if self.memcached is not None:
            self.memcached.add(key, b"0", noreply=False)
            return int(self.memcached.incr(key, 1, noreply=False))
        self.local[key] = self.local.get(key, 0) + 1
        return self.local[key]

    def exists(self, key):
        if self.redis is not None:
            return bool(self.redis.exists(key))
        if self.memcached is not None:
            return self.memcached.get(key) is not None
        return key in self.local

    def raw_get(self, region, key):
        value = region.backend.get_serialized(key)
        return None if value is NO_VALUE else value

    def raw_set(self, region, key, data):
        region.backend.set_serialized(key, data)


def run(region, server, step):
    op = step["op"]
    if op == "set":
        region.set(step["key"], step["value"])
        return {}
    if op == "get":
        value = region.get(
            step["key"],
            expiration_time=step.get("expiration_time"),
            ignore_expiration=step.get("ignore_expiration", False),
        )
        if value is NO_VALUE:
            return {"hit": False}
        return {"hit": True, "value": value}
    if op == "get_or_create":

        def creator():
            if step.get("counter"):
                server.incr(step["counter"])
            time.sleep(step.get("sleep", 0))
            return step["value"]

        value = region.get_or_create(
            step["key"], creator, expiration_time=step.get("expiration_time")
        )
        return {"value": value}
    if op == "delete":
        region.delete(step["key"])
        return {}
    if op == "invalidate":
        region.invalidate(hard=step.get("hard", True))
        return {}
    if op == "raw_get":
        key = step["key"]
        if region.key_mangler:
            key = region.key_mangler(key)
        data = server.raw_get(region, key)
        return {"raw": None if data is None else base64.b64encode(data).decode()}
    if op == "raw_set":
        key = step["key"]
        if region.key_mangler:
            key = region.key_mangler(key)
        server.raw_set(region, key, base64.b64decode(step["raw"]))
        return {}
    if op == "memo":
        calls = []

        def body(*args):
            calls.append(args)
            if step.get("counter"):
                server.incr(step["counter"])
            time.sleep(step.get("sleep", 0))
            return step["value"]

        # A real module-level function: cache_on_arguments' key generator
        # reads fn.__module__ and fn.__name__.
        module = types.ModuleType(step["module"])
        src = "def %s(*args):\n    return _body(*args)\n" % step["function"]
        module.__dict__["_body"] = body
        exec(compile(src, step["module"], "exec"), module.__dict__)
        fn = module.__dict__[step["function"]]
        fn.__module__ = step["module"]
        cached = region.cache_on_arguments(namespace=step.get("namespace"))(fn)
        # {"float": "<hex>"} is a float even when it is whole (JSON
        # cannot tell 1.0 from 1).
        args = [
            float.fromhex(a["float"]) if isinstance(a, dict) and "float" in a else a
            for a in step.get("args", [])
        ]
        value = cached(*args)
        key = region.function_key_generator(step.get("namespace"), fn)(*args)
        return {"value": value, "key": key, "called": len(calls)}
    if op == "repr":
        return {"reprs": [repr(float.fromhex(h)) for h in step["floats"]]}
    if op == "locked":
        return {"locked": region.key_is_locked(step["key"])}
    if op == "mangle":
        return {"mangled": [sha1_mangle_key(k) for k in step["keys"]]}
    if op == "incr":
        return {"n": server.incr(step["key"])}
    if op == "wait_key":
        deadline = time.monotonic() + step.get("timeout", 30)
        while not server.exists(step["key"]):
            if time.monotonic() > deadline:
                raise TimeoutError("key %r never appeared" % step["key"])
            time.sleep(0.002)
        return {}
    if op == "sleep":
        time.sleep(step["seconds"])
        return {}
    if op == "print":
        return {"text": step["text"]}
    raise ValueError("unknown op %r" % op)


def main():
    request = json.load(sys.stdin)
    region = make(request["region"])
    server = Server(region)
    for step in request["steps"]:
        try:
            out = run(region, server, step)
            out["ok"] = True
        except Exception as e:  # reported to the Go test, which judges it
            out = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        out["op"] = step["op"]
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
