package encode

// WithDefaults returns o with every zero field set to the value NewH264
// uses for it, so that a caller can see what an encoder would be opened
// with (a preflight check, a status line) without opening one. It does
// not validate: NewH264 still does.
func (o H264Options) WithDefaults() H264Options {
	o.setDefaults()
	if x, err := defaultX264(); err == nil {
		o.setThreads(x)
	}
	return o
}

// WithDefaults returns o with every zero field set to the value NewAAC
// uses for it. It does not validate: NewAAC still does.
func (o AACOptions) WithDefaults() AACOptions {
	o.setDefaults()
	return o
}
