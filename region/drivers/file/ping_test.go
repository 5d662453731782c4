package file

import (
	"context"
	"os"
	"testing"

	"github.com/gosess/gosess/region"
)

func TestPing(t *testing.T) {
	dir := t.TempDir()
	r := region.New("files")
	defer r.Close()
	if err := r.Configure("file", region.Config{PingOnConfigure: true, Arguments: map[string]any{"dir": dir}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "data" && e.Name() != "locks" {
			t.Errorf("Ping left %s behind", e.Name())
		}
	}
	os.RemoveAll(dir)
	if err := r.Ping(ctx); err == nil {
		t.Error("Ping of a removed directory succeeded")
	}
}
