package session_test

import (
	"context"
	"testing"

	"github.com/gosess/gosess/session"
)

func TestMakerStats(t *testing.T) {
	ctx := context.Background()
	m := session.NewMaker()
	if err := m.Configure(session.Settings{"backend": "cookie", "signature_key": make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	s, _ := m.New(ctx)
	s.Set("k", 1)
	c := save(t, s)
	if _, err := m.Load(ctx, c.String()); err != nil {
		t.Fatal(err)
	}
	tampered := c.Value[:len(c.Value)-2] + "AA"
	if c.Value[len(c.Value)-2:] == "AA" {
		tampered = c.Value[:len(c.Value)-2] + "BB"
	}
	m.Load(ctx, "session="+tampered)
	m.Load(ctx, "session=%%%garbage")
	s.Set("bad", make(chan int))
	s.Save(ctx)
	st := m.Stats()
	if st.Loads != 1 || st.New != 3 || st.Saves != 1 || st.SaveErrors != 1 {
		t.Fatalf("%+v", st)
	}
	if st.Rejected[session.RejectSignature]+st.Rejected[session.RejectMalformed] != 2 || len(st.Rejected) != 9 {
		t.Fatalf("rejected %v", st.Rejected)
	}
}
