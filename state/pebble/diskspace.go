package pebble

import "fmt"

// DefaultMinFreeBytes is the free space Commit requires on the database's
// filesystem when Options.MinFreeBytes is zero.
const DefaultMinFreeBytes = 64 << 20

// DiskFullError is Commit's refusal to write on a filesystem with too little
// free space left. Pebble cannot flush a memtable or start a new write-ahead
// log on a full disk, and stops the process when that happens (a Go fatal
// error, not an error a caller can handle); refusing the commit first
// reports the problem and loses nothing: the commit's writes are dropped
// with the task, and the input they came from is processed again after a
// restart.
type DiskFullError struct {
	// Dir is the database directory; Free the bytes free for it on its
	// filesystem; Min the free space Commit requires.
	Dir       string
	Free, Min uint64
}

func (e *DiskFullError) Error() string {
	return fmt.Sprintf("state/pebble: no space left for %s: %d MiB free on its filesystem, below the %d MiB a commit requires (Options.MinFreeBytes); free disk space (or move the state directory) and restart",
		e.Dir, e.Free>>20, e.Min>>20)
}

// checkSpace returns a *DiskFullError when the filesystem of the database
// has less than the required free space; an error reading the free space
// is not a reason to refuse.
func (b *Backend) checkSpace() error {
	min := b.opts.MinFreeBytes
	if min < 0 {
		return nil
	}
	if min == 0 {
		min = DefaultMinFreeBytes
	}
	free, ok := freeBytes(b.dir)
	if ok && free < uint64(min) {
		return &DiskFullError{Dir: b.dir, Free: free, Min: uint64(min)}
	}
	return nil
}
