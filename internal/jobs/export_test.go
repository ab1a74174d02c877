package jobs

// Fast returns cfg with River's staggered start of its maintenance services
// (up to a second each, for the periodic jobs among them) turned off.
func Fast(cfg Config) Config {
	cfg.testOnly = true
	return cfg
}
