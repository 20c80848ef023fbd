// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"strings"
	"unicode/utf8"
)

// decodeUTF8 converts data to a string the way Java's
// new String(data, StandardCharsets.UTF_8) does, so the text matches what a
// Java consumer sees. Each ill-formed subsequence becomes one U+FFFD: a lead
// byte followed by as many valid continuation bytes as fit, as in the
// Unicode "maximal subpart" practice, except that Java decodes an encoded
// UTF-16 surrogate (ED A0..BF 80..BF) as one 3-byte unit and replaces it
// once. Go's own conversions differ: utf8.DecodeRune replaces byte by byte
// and strings.ToValidUTF8 replaces a whole run once.
func decodeUTF8(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	var sb strings.Builder
	sb.Grow(len(data) + 8)
	for i := 0; i < len(data); {
		if c := data[i]; c < utf8.RuneSelf {
			sb.WriteByte(c)
			i++
			continue
		}
		n, ok := utf8Prefix(data[i:])
		if ok {
			sb.Write(data[i : i+n])
		} else {
			sb.WriteRune(utf8.RuneError)
		}
		i += n
	}
	return sb.String()
}

// utf8Prefix examines the sequence starting with the non-ASCII byte b[0].
// It returns the length of the well-formed sequence there and true, or the
// length of the ill-formed subsequence Java replaces (at least 1) and false.
func utf8Prefix(b []byte) (int, bool) {
	var size int
	lo, hi := byte(0x80), byte(0xBF) // allowed range of the second byte
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		size = 2
	case c == 0xE0:
		size, lo = 3, 0xA0 // no overlong forms
	case c >= 0xE1 && c <= 0xEF:
		size = 3 // ED A0..BF (surrogates) is rejected once complete
	case c == 0xF0:
		size, lo = 4, 0x90 // no overlong forms
	case c >= 0xF1 && c <= 0xF3:
		size = 4
	case c == 0xF4:
		size, hi = 4, 0x8F // nothing above U+10FFFF
	default: // continuation byte, overlong lead C0 or C1, or F5..FF
		return 1, false
	}
	for i := 1; i < size; i++ {
		if i >= len(b) || b[i] < lo || b[i] > hi {
			return i, false
		}
		lo, hi = 0x80, 0xBF
	}
	if b[0] == 0xED && b[1] >= 0xA0 {
		return 3, false
	}
	return size, true
}
