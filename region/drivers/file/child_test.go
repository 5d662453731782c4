package file

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
)

// runChild is the body of a helper process (see TestMain). It returns the
// exit code. Modes:
//
//	writer   Set a big self-checking value under $KEY in $DIR in a loop
//	         (until killed); says "ready" after the first write.
//	locker   TryLock $KEY in $DIR, say "locked", then hold the lock until
//	         stdin says "unlock" (says "unlocked") or closes.
//	stampede see stampedeChild.
//	update   see updateChild (update-nocas: with compare-and-set hidden).
func runChild(mode string) int {
	dir, key := os.Getenv("DIR"), os.Getenv("KEY")
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "child %s: %v\n", mode, err)
		return 2
	}
	switch mode {
	case "stampede":
		if err := stampedeChild(dir, key); err != nil {
			return fail(err)
		}
		return 0
	case "update", "update-nocas":
		if err := updateChild(dir, key, mode == "update-nocas"); err != nil {
			return fail(err)
		}
		return 0
	}
	d, err := New(Config{Dir: dir, CleanupInterval: -1, NoSync: os.Getenv("SYNC") == "0"})
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	switch mode {
	case "writer":
		for gen := 0; ; gen++ {
			if err := d.Set(ctx, key, tornTestValue(byte(gen%251)), 0); err != nil {
				return fail(err)
			}
			if gen == 0 {
				fmt.Println("ready")
			}
		}
	case "locker":
		m := d.Mutex(key)
		ok, err := m.TryLock(ctx)
		if err != nil {
			return fail(err)
		}
		if !ok {
			return fail(fmt.Errorf("lock %q is held", key))
		}
		fmt.Println("locked")
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			if in.Text() == "unlock" {
				if err := m.Unlock(ctx); err != nil {
					return fail(err)
				}
				fmt.Println("unlocked")
			}
		}
		return 0
	}
	return fail(fmt.Errorf("unknown mode"))
}

// tornTestValue is a value whose every byte is b and whose length follows
// from b, so that any prefix, suffix or mix of two values is detectable.
func tornTestValue(b byte) []byte {
	return bytes.Repeat([]byte{b}, tornTestLen(b))
}

func tornTestLen(b byte) int { return 64<<10 + int(b)*(16<<10) }

// checkTornTestValue reports whether v is exactly one tornTestValue.
func checkTornTestValue(v []byte) error {
	if len(v) == 0 {
		return fmt.Errorf("empty value")
	}
	if len(v) != tornTestLen(v[0]) {
		return fmt.Errorf("value of %d bytes starting with %d; a whole one has %d", len(v), v[0], tornTestLen(v[0]))
	}
	if n := bytes.Count(v, v[:1]); n != len(v) {
		return fmt.Errorf("value of byte %d has %d other bytes", v[0], len(v)-n)
	}
	return nil
}
