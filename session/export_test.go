package session

// CodecBuilds returns how many cookie codecs (key rings) were built.
func CodecBuilds() int64 { return codecBuilds.Load() }
