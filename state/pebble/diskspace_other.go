//go:build !unix

package pebble

// freeBytes cannot tell the free space here: Commit does not check it.
func freeBytes(string) (uint64, bool) { return 0, false }
