// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"strings"

	"github.com/eddy-streams/eddy/internal/pixfont"
)

var (
	white     = color.RGBA{255, 255, 255, 255}
	black     = color.RGBA{30, 30, 30, 255}
	grid      = color.RGBA{225, 225, 225, 255}
	sysColors = map[string]color.RGBA{
		sysRaw:   {140, 140, 140, 255},
		sysRawKS: {70, 90, 170, 255},
		sysEddy:  {0, 128, 128, 255},
		sysJava:  {230, 120, 20, 255},
	}
)

// barGroup is one cluster of bars (a scenario × guarantee); Values follow
// the panel's series order, NaN for none.
type barGroup struct {
	Label  string
	Values []float64
}

type panel struct {
	Title  string
	Series []string
	Groups []barGroup
}

// writeChart draws median throughput and median peak RSS per scenario ×
// guarantee × system, and median time to RUNNING: start-up (word count,
// at-least-once) and recovery with the restore measurement's changelog.
func writeChart(path string, c config, rs []result) error {
	sums := summarize(c, rs)
	tp := panel{Title: "median throughput (records/s, higher is better)", Series: c.systems}
	mem := panel{Title: "median peak RSS (MB, lower is better)", Series: c.systems}
	for _, s := range c.scenarios {
		for _, g := range c.guarantees {
			label := s + " " + g
			gt, gm := barGroup{Label: label}, barGroup{Label: label}
			for _, sys := range c.systems {
				v, m := math.NaN(), math.NaN()
				for _, sm := range sums {
					if sm.cell == (cell{s, g, sys}) && sm.OK > 0 {
						v, m = sm.Throughput, sm.RSSMB
					}
				}
				gt.Values, gm.Values = append(gt.Values, v), append(gm.Values, m)
			}
			tp.Groups, mem.Groups = append(tp.Groups, gt), append(mem.Groups, gm)
		}
	}
	panels := []panel{tp, mem}
	times := panel{Title: "median time to RUNNING (s, lower is better)", Series: c.systems}
	for _, s := range c.scenarios {
		if baseScenario(s) != s {
			continue // a variant starts up as its base scenario does
		}
		g := barGroup{Label: "start-up " + s}
		for _, sys := range c.systems {
			v := math.NaN()
			if sm := summarizeCell(rs, cell{s, c.guarantees[0], sys}); sm.OK > 0 {
				v = sm.Startup
			}
			g.Values = append(g.Values, v)
		}
		times.Groups = append(times.Groups, g)
	}
	if c.restoreKeys > 0 {
		g := barGroup{Label: fmt.Sprintf("restore %s keys", axisLabel(float64(c.restoreKeys)))}
		for _, sys := range c.systems {
			v := math.NaN()
			if sm := summarizeCell(rs, cell{scenRestore, "alos", sys}); sm.OK > 0 {
				v = sm.Startup
			}
			g.Values = append(g.Values, v)
		}
		times.Groups = append(times.Groups, g)
	}
	if len(c.guarantees) > 0 {
		panels = append(panels, times)
	}
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := renderPNG(file, panels); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// renderPNG draws the panels one above the other with a legend.
func renderPNG(w io.Writer, panels []panel) error {
	groups := 0
	for _, p := range panels {
		groups = max(groups, len(p.Groups))
	}
	width := max(900, 90+20+groups*150)
	const (
		panelH = 300
		left   = 90
		right  = 20
		top    = 40
		scale  = 2
	)
	height := top + len(panels)*panelH + 20
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	pixfont.FillRect(img, 0, 0, width, height, white)
	// Legend.
	if len(panels) > 0 {
		x := left
		for _, s := range panels[0].Series {
			pixfont.FillRect(img, x, 12, 14, 14, sysColors[s])
			pixfont.Draw(img, x+20, 14, s, scale, black)
			x += 40 + pixfont.Width(s, scale)
		}
	}
	for i, p := range panels {
		y0 := top + i*panelH
		drawPanel(img, p, left, y0, width-left-right, panelH, scale)
	}
	return png.Encode(w, img)
}

func drawPanel(img *image.RGBA, p panel, x0, y0, w, h, scale int) {
	pixfont.Draw(img, x0, y0+4, p.Title, scale, black)
	plotTop, plotBottom := y0+30, y0+h-40
	maxV := 0.0
	for _, g := range p.Groups {
		for _, v := range g.Values {
			if !math.IsNaN(v) && v > maxV {
				maxV = v
			}
		}
	}
	if maxV <= 0 {
		maxV = 1
	}
	maxV = niceCeil(maxV)
	// Grid lines and axis labels at quarters.
	for k := 0; k <= 4; k++ {
		v := maxV * float64(k) / 4
		y := plotBottom - int(float64(plotBottom-plotTop)*float64(k)/4)
		pixfont.FillRect(img, x0, y, w, 1, grid)
		lbl := axisLabel(v)
		pixfont.Draw(img, x0-8-pixfont.Width(lbl, scale), y-5, lbl, scale, black)
	}
	pixfont.FillRect(img, x0, plotTop, 1, plotBottom-plotTop, black)
	pixfont.FillRect(img, x0, plotBottom, w, 1, black)
	if len(p.Groups) == 0 {
		return
	}
	gw := w / len(p.Groups)
	bw := (gw - 30) / max(1, len(p.Series))
	for gi, g := range p.Groups {
		gx := x0 + gi*gw + 15
		for si, v := range g.Values {
			if math.IsNaN(v) {
				continue
			}
			bh := int(float64(plotBottom-plotTop) * v / maxV)
			bx := gx + si*bw
			pixfont.FillRect(img, bx+2, plotBottom-bh, bw-4, bh, sysColors[p.Series[si]])
			lbl := axisLabel(v)
			if pixfont.Width(lbl, 1) <= bw {
				pixfont.Draw(img, bx+2+(bw-4-pixfont.Width(lbl, 1))/2, plotBottom-bh-8, lbl, 1, black)
			}
		}
		pixfont.Draw(img, gx+(gw-30-pixfont.Width(g.Label, scale))/2, plotBottom+10, g.Label, scale, black)
	}
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
	switch {
	case v >= 1e6:
		return trim(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case v >= 1e3:
		return trim(fmt.Sprintf("%.1f", v/1e3)) + "K"
	case v >= 10 || v == 0:
		return fmt.Sprintf("%.0f", v)
	}
	s := strings.TrimRight(fmt.Sprintf("%.2f", v), "0")
	return strings.TrimSuffix(s, ".")
}

func trim(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
