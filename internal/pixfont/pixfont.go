// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package pixfont draws text in a 3×5 pixel font (upper case, digits, a
// little punctuation) onto images, for the PNG charts of cmd/eddy-bench
// and cmd/eddy-chaos: the standard library has no text rendering.
package pixfont

import (
	"image"
	"image/color"
	"strings"
)

// glyphs are the font's characters, row by row ('#' is a set pixel).
var glyphs = map[rune][5]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"}, '1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"}, '3': {"###", "..#", ".##", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"}, '5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"}, '7': {"###", "..#", ".#.", ".#.", ".#."},
	'8': {"###", "#.#", "###", "#.#", "###"}, '9': {"###", "#.#", "###", "..#", "###"},
	'A': {".#.", "#.#", "###", "#.#", "#.#"}, 'B': {"##.", "#.#", "##.", "#.#", "##."},
	'C': {".##", "#..", "#..", "#..", ".##"}, 'D': {"##.", "#.#", "#.#", "#.#", "##."},
	'E': {"###", "#..", "##.", "#..", "###"}, 'F': {"###", "#..", "##.", "#..", "#.."},
	'G': {".##", "#..", "#.#", "#.#", ".##"}, 'H': {"#.#", "#.#", "###", "#.#", "#.#"},
	'I': {"###", ".#.", ".#.", ".#.", "###"}, 'J': {"..#", "..#", "..#", "#.#", ".#."},
	'K': {"#.#", "#.#", "##.", "#.#", "#.#"}, 'L': {"#..", "#..", "#..", "#..", "###"},
	'M': {"#.#", "###", "###", "#.#", "#.#"}, 'N': {"##.", "#.#", "#.#", "#.#", "#.#"},
	'O': {".#.", "#.#", "#.#", "#.#", ".#."}, 'P': {"##.", "#.#", "##.", "#..", "#.."},
	'Q': {".#.", "#.#", "#.#", "##.", ".##"}, 'R': {"##.", "#.#", "##.", "#.#", "#.#"},
	'S': {".##", "#..", ".#.", "..#", "##."}, 'T': {"###", ".#.", ".#.", ".#.", ".#."},
	'U': {"#.#", "#.#", "#.#", "#.#", "###"}, 'V': {"#.#", "#.#", "#.#", "#.#", ".#."},
	'W': {"#.#", "#.#", "###", "###", "#.#"}, 'X': {"#.#", "#.#", ".#.", "#.#", "#.#"},
	'Y': {"#.#", "#.#", ".#.", ".#.", ".#."}, 'Z': {"###", "..#", ".#.", "#..", "###"},
	'.': {"...", "...", "...", "...", ".#."}, '-': {"...", "...", "###", "...", "..."},
	'/': {"..#", "..#", ".#.", "#..", "#.."}, ':': {"...", ".#.", "...", ".#.", "..."},
	'(': {".#.", "#..", "#..", "#..", ".#."}, ')': {".#.", "..#", "..#", "..#", ".#."},
	',': {"...", "...", "...", ".#.", "#.."}, '\'': {".#.", ".#.", "...", "...", "..."},
	' ': {"...", "...", "...", "...", "..."}, '%': {"#.#", "..#", ".#.", "#..", "#.#"},
}

// Width is the width in pixels of s drawn at scale (each pixel a
// scale×scale square).
func Width(s string, scale int) int {
	n := len([]rune(s))
	if n == 0 {
		return 0
	}
	return (4*n - 1) * scale
}

// Draw draws s (upper-cased; characters the font lacks as '-') in c with
// its top-left corner at x, y.
func Draw(img *image.RGBA, x, y int, s string, scale int, c color.Color) {
	for _, r := range strings.ToUpper(s) {
		g, ok := glyphs[r]
		if !ok {
			g = glyphs['-']
		}
		for row, bits := range g {
			for col, bit := range bits {
				if bit == '#' {
					FillRect(img, x+col*scale, y+row*scale, scale, scale, c)
				}
			}
		}
		x += 4 * scale
	}
}

// FillRect fills the w×h rectangle at x, y with c, clipped to img.
func FillRect(img *image.RGBA, x, y, w, h int, c color.Color) {
	for j := y; j < y+h; j++ {
		for i := x; i < x+w; i++ {
			if (image.Point{i, j}).In(img.Bounds()) {
				img.Set(i, j, c)
			}
		}
	}
}

// Has reports whether the font draws r (Draw upper-cases first).
func Has(r rune) bool {
	_, ok := glyphs[r]
	return ok
}
