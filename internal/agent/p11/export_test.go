//go:build cgo

package p11

// TriesFromFlags exposes triesFromFlags to the external tests.
var TriesFromFlags = triesFromFlags
