package session

import "context"

// CodecBuilds returns how many cookie codecs (key rings) were built.
func CodecBuilds() int64 { return codecBuilds.Load() }

// UserIndex returns the ids in user's index, as stored.
func UserIndex(ctx context.Context, m *Maker, user string) ([]string, error) {
	st, err := m.current()
	if err != nil {
		return nil, err
	}
	u, err := m.loadUser(ctx, st.backend.(UserStore), user)
	var ids []string
	for _, e := range u.entries {
		ids = append(ids, e.id)
	}
	return ids, err
}
