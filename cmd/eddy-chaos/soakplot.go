// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strings"

	"github.com/eddy-streams/eddy/internal/pixfont"
)

// The soak's plot: resident memory per instance above, the group's lag
// below, over the minutes since the input started, with a vertical line at
// each graceful restart. Drawn with the standard library alone.

var nan = math.NaN()

func isNaN(v float64) bool { return math.IsNaN(v) }

var (
	plotWhite   = color.RGBA{255, 255, 255, 255}
	plotBlack   = color.RGBA{0, 0, 0, 255}
	plotGrid    = color.RGBA{225, 225, 225, 255}
	plotRestart = color.RGBA{190, 190, 190, 255}
	// Series colours (Tableau 10).
	plotColors = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255},
		{214, 39, 40, 255}, {148, 103, 189, 255}, {140, 86, 75, 255}}
)

// plotSeries is one line: y per sample, NaN for a gap.
type plotSeries struct {
	name string
	ys   []float64
	c    color.RGBA
}

// plotPanel is one chart of series over the same x values.
type plotPanel struct {
	title  string
	series []plotSeries
}

// writeSoakPNG draws the recorder's samples into path.
func writeSoakPNG(path string, rec *soakRecorder, title string) error {
	xs := make([]float64, len(rec.samples)) // minutes
	for i, s := range rec.samples {
		xs[i] = s.at.Minutes()
	}
	rss := plotPanel{title: "Resident memory per instance (VmRSS, MB)"}
	for j, id := range rec.slots {
		ys := make([]float64, len(rec.samples))
		for i, s := range rec.samples {
			ys[i] = s.rssMB[j]
		}
		rss.series = append(rss.series, plotSeries{name: id, ys: ys, c: plotColors[j%len(plotColors)]})
	}
	lag := plotPanel{title: "Consumer lag (offsets not committed by the group)"}
	in, rep := make([]float64, len(rec.samples)), make([]float64, len(rec.samples))
	for i, s := range rec.samples {
		in[i], rep[i] = float64(s.inputLag), float64(s.repLag)
		if s.inputLag < 0 {
			in[i] = nan
		}
		if s.repLag < 0 {
			rep[i] = nan
		}
	}
	lag.series = []plotSeries{{"input topic", in, plotColors[3]}, {"repartition topic", rep, plotColors[4]}}
	var restarts []float64
	for _, e := range rec.events {
		restarts = append(restarts, e.at.Minutes())
	}
	img := renderSoak(title, xs, restarts, []plotPanel{rss, lag})
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// renderSoak draws the panels one above the other over xs (minutes).
func renderSoak(title string, xs, restarts []float64, panels []plotPanel) *image.RGBA {
	const (
		width, panelH = 1200, 340
		left, right   = 90, 30
		top, bottom   = 50, 50
		scale         = 2
	)
	height := top + len(panels)*panelH + bottom
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	pixfont.FillRect(img, 0, 0, width, height, plotWhite)
	pixfont.Draw(img, left, 14, title, scale, plotBlack)
	xMax := 1.0
	if len(xs) > 0 {
		xMax = math.Max(xMax, xs[len(xs)-1])
	}
	step := niceCeil(xMax / 8)
	xMax = step * math.Ceil(xMax/step-1e-9)
	plotW := width - left - right
	xPix := func(x float64) int { return left + int(math.Round(x/xMax*float64(plotW))) }
	for i, p := range panels {
		y0 := top + i*panelH
		pixfont.Draw(img, left, y0+6, p.title, scale, plotBlack)
		// Legend, right-aligned on the title line.
		lx := width - right
		for k := len(p.series) - 1; k >= 0; k-- {
			s := p.series[k]
			lx -= pixfont.Width(s.name, scale) + 30
			pixfont.FillRect(img, lx, y0+6, 16, 10, s.c)
			pixfont.Draw(img, lx+22, y0+6, s.name, scale, plotBlack)
		}
		if i == 0 && len(restarts) > 0 {
			lx -= pixfont.Width("restart", scale) + 40
			pixfont.FillRect(img, lx+7, y0+2, 2, 18, plotRestart)
			pixfont.Draw(img, lx+16, y0+6, "restart", scale, plotBlack)
		}
		plotTop, plotBottom := y0+30, y0+panelH-40
		yMax := 0.0
		for _, s := range p.series {
			for _, y := range s.ys {
				if !isNaN(y) {
					yMax = math.Max(yMax, y)
				}
			}
		}
		yMax = niceCeil(yMax)
		yPix := func(y float64) int {
			return plotBottom - int(math.Round(y/yMax*float64(plotBottom-plotTop)))
		}
		for k := 0; k <= 4; k++ {
			v := yMax * float64(k) / 4
			y := yPix(v)
			pixfont.FillRect(img, left, y, plotW, 1, plotGrid)
			lbl := axisLabel(v)
			pixfont.Draw(img, left-8-pixfont.Width(lbl, scale), y-5, lbl, scale, plotBlack)
		}
		for x := 0.0; x <= xMax+1e-9; x += step {
			px := xPix(x)
			pixfont.FillRect(img, px, plotTop, 1, plotBottom-plotTop, plotGrid)
			pixfont.FillRect(img, px, plotBottom, 1, 5, plotBlack)
			lbl := axisLabel(x)
			pixfont.Draw(img, px-pixfont.Width(lbl, scale)/2, plotBottom+9, lbl, scale, plotBlack)
		}
		for _, r := range restarts {
			pixfont.FillRect(img, xPix(r), plotTop, 2, plotBottom-plotTop, plotRestart)
		}
		pixfont.FillRect(img, left, plotTop, 1, plotBottom-plotTop+1, plotBlack)
		pixfont.FillRect(img, left, plotBottom, plotW, 1, plotBlack)
		for _, s := range p.series {
			prevOK := false
			var px, py int
			for j, y := range s.ys {
				if isNaN(y) || j >= len(xs) {
					prevOK = false
					continue
				}
				x, yy := xPix(xs[j]), yPix(y)
				if prevOK {
					drawLine(img, px, py, x, yy, s.c)
				} else {
					pixfont.FillRect(img, x-1, yy-1, 3, 3, s.c)
				}
				px, py, prevOK = x, yy, true
			}
		}
	}
	lbl := "minutes since the input started"
	pixfont.Draw(img, left+(plotW-pixfont.Width(lbl, scale))/2, height-bottom+22, lbl, scale, plotBlack)
	return img
}

// drawLine draws a 2-pixel line from (x0, y0) to (x1, y1) (Bresenham).
func drawLine(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		pixfont.FillRect(img, x0, y0, 2, 2, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else if e2 <= dx {
			e += dx
			y0 += sy
		} else {
			e += dx + dy
			x0 += sx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// axisLabel formats v compactly: 1.5M, 120K, 42, 0.5.
func axisLabel(v float64) string {
	trim := func(s string) string { return strings.TrimSuffix(s, ".0") }
	switch {
	case v >= 1e6:
		return trim(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case v >= 1e3:
		return trim(fmt.Sprintf("%.1f", v/1e3)) + "K"
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}
