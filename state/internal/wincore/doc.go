// Package wincore holds what the window-store implementations of the memory
// and Pebble backends share: the order-preserving key encoding of window
// entries, the retention arithmetic over segments, and the merge of
// per-segment cursors into key order.
package wincore
