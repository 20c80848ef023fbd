//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package devbroker

// lockDir is a no-op where flock is unavailable: the caller must make sure
// that one broker at a time uses a data directory.
func lockDir(string) (func() error, error) {
	return func() error { return nil }, nil
}
