// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topology

import (
	"fmt"
	"html"
	"strings"
)

// SVG draws the topology as a self-contained SVG image (no script, no
// external resource): one column per sub-topology, its nodes in layers from
// the sources down (sources, processors, sinks as boxes of their own
// colour), the topics a source reads above it and the topic a sink writes
// below it, each store beside the first node that uses it. Edges are
// arrows; a repartition topic written by one sub-topology and read by
// another is joined by a dashed arrow.
func (t *Topology) SVG() string {
	const (
		nodeH, layerGap, colGap, pad = 28, 26, 40, 16
		topicH                       = 22
	)
	type box struct{ x, y, w, h int }
	type col struct {
		st     *Subtopology
		x, w   int
		layers [][]*Node
	}
	var cols []*col
	var b strings.Builder
	nodeBox := map[*Node]box{}
	sinkTopicBox := map[string]box{}     // repartition topic → where its sink writes it
	sourceTopicBox := map[string][]box{} // repartition topic → where sources read it
	width, height := pad, 0

	label := func(n *Node) string { return n.Name }
	textW := func(s string) int { return len(s)*15/2 + 18 } // 12 px sans-serif: about 7.5 px a character

	for _, st := range t.all() {
		c := &col{st: st}
		depth := map[*Node]int{}
		var visit func(n *Node, d int)
		visit = func(n *Node, d int) {
			if old, ok := depth[n]; ok && old >= d {
				return
			}
			depth[n] = d
			for _, ch := range n.Children {
				visit(ch, d+1)
			}
		}
		for _, n := range st.Nodes {
			if len(n.Parents) == 0 {
				visit(n, 0)
			}
		}
		for _, n := range st.Nodes {
			d := depth[n]
			for len(c.layers) <= d {
				c.layers = append(c.layers, nil)
			}
			c.layers[d] = append(c.layers[d], n)
		}
		c.w = textW(fmt.Sprintf("Sub-topology %d (global store)", st.ID))
		for _, l := range c.layers {
			w := 0
			for _, n := range l {
				nw := textW(label(n))
				for _, tp := range n.topicNames() {
					nw = max(nw, textW(tp))
				}
				if n.Kind == Sink {
					nw = max(nw, textW(n.sinkTopic()))
				}
				w += nw + 12
			}
			stores := 0
			for _, n := range l {
				for _, s := range n.Stores {
					stores = max(stores, textW(s.Name))
				}
			}
			c.w = max(c.w, w+stores+24)
		}
		c.x = width
		width += c.w + colGap
		cols = append(cols, c)
	}

	for _, c := range cols {
		y := pad + 24 // title
		drawnStores := map[*Store]bool{}
		var body strings.Builder
		for _, l := range c.layers {
			// Topics read by the layer's sources sit above them.
			hasTopics := false
			for _, n := range l {
				if n.Kind == Source {
					hasTopics = true
				}
			}
			if hasTopics {
				y += topicH + layerGap/2
			}
			x := c.x + 12
			for _, n := range l {
				w := textW(label(n))
				for _, tp := range n.topicNames() {
					w = max(w, textW(tp))
				}
				if n.Kind == Sink {
					w = max(w, textW(n.sinkTopic()))
				}
				bx := box{x, y, w, nodeH}
				nodeBox[n] = bx
				cls := map[Kind]string{Source: "source", Processor: "processor", Sink: "sink"}[n.Kind]
				fmt.Fprintf(&body, `<g class="node %s"><rect x="%d" y="%d" width="%d" height="%d" rx="4"/><text x="%d" y="%d">%s</text></g>`+"\n",
					cls, bx.x, bx.y, bx.w, bx.h, bx.x+8, bx.y+18, html.EscapeString(label(n)))
				if n.Kind == Source {
					ty := y - layerGap/2 - topicH
					for i, tp := range n.topicNames() {
						tb := box{x, ty - i*(topicH+4), w, topicH}
						fmt.Fprintf(&body, `<g class="topic"><rect x="%d" y="%d" width="%d" height="%d" rx="11"/><text x="%d" y="%d">%s</text></g>`+"\n",
							tb.x, tb.y, tb.w, tb.h, tb.x+8, tb.y+15, html.EscapeString(tp))
						fmt.Fprintf(&body, `<line class="edge" x1="%d" y1="%d" x2="%d" y2="%d" marker-end="url(#arrow)"/>`+"\n",
							tb.x+tb.w/2, tb.y+tb.h, bx.x+bx.w/2, bx.y)
						if n.Internal != nil {
							sourceTopicBox[tp] = append(sourceTopicBox[tp], tb)
						}
					}
				}
				if n.Kind == Sink {
					tb := box{x, y + nodeH + layerGap/2, w, topicH}
					fmt.Fprintf(&body, `<g class="topic"><rect x="%d" y="%d" width="%d" height="%d" rx="11"/><text x="%d" y="%d">%s</text></g>`+"\n",
						tb.x, tb.y, tb.w, tb.h, tb.x+8, tb.y+15, html.EscapeString(n.sinkTopic()))
					fmt.Fprintf(&body, `<line class="edge" x1="%d" y1="%d" x2="%d" y2="%d" marker-end="url(#arrow)"/>`+"\n",
						bx.x+bx.w/2, bx.y+bx.h, tb.x+tb.w/2, tb.y)
					if n.Internal != nil {
						sinkTopicBox[n.sinkTopic()] = tb
					}
				}
				x += w + 12
				for _, s := range n.Stores {
					if drawnStores[s] {
						continue
					}
					drawnStores[s] = true
					sb := box{x, y, textW(s.Name), nodeH}
					fmt.Fprintf(&body, `<g class="store"><rect x="%d" y="%d" width="%d" height="%d" rx="10"/><text x="%d" y="%d">%s</text></g>`+"\n",
						sb.x, sb.y, sb.w, sb.h, sb.x+8, sb.y+18, html.EscapeString(s.Name))
					fmt.Fprintf(&body, `<line class="store-edge" x1="%d" y1="%d" x2="%d" y2="%d"/>`+"\n", bx.x+bx.w, bx.y+bx.h/2, sb.x, sb.y+sb.h/2)
					x += sb.w + 12
				}
			}
			y += nodeH + layerGap
			for _, n := range l {
				if n.Kind == Sink {
					y += topicH + layerGap/2
					break
				}
			}
		}
		title := fmt.Sprintf("Sub-topology %d", c.st.ID)
		if c.st.Global {
			title += " (global store)"
		}
		fmt.Fprintf(&b, `<g class="subtopology"><rect x="%d" y="%d" width="%d" height="%d" rx="6"/><text class="title" x="%d" y="%d">%s</text></g>`+"\n",
			c.x, pad, c.w, y-pad, c.x+10, pad+17, title)
		b.WriteString(body.String())
		height = max(height, y+pad)
	}
	// Edges between nodes.
	for _, c := range cols {
		for _, n := range c.st.Nodes {
			p := nodeBox[n]
			for _, ch := range n.Children {
				q := nodeBox[ch]
				fmt.Fprintf(&b, `<line class="edge" x1="%d" y1="%d" x2="%d" y2="%d" marker-end="url(#arrow)"/>`+"\n",
					p.x+p.w/2, p.y+p.h, q.x+q.w/2, q.y)
			}
		}
	}
	// A repartition topic, from where it is written to where it is read.
	for tp, from := range sinkTopicBox {
		for _, to := range sourceTopicBox[tp] {
			fmt.Fprintf(&b, `<path class="repartition" d="M%d,%d C%d,%d %d,%d %d,%d" marker-end="url(#arrow)"/>`+"\n",
				from.x+from.w, from.y+from.h/2, from.x+from.w+colGap, from.y+from.h/2, to.x-colGap, to.y+to.h/2, to.x, to.y+to.h/2)
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	out.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>` + "\n")
	out.WriteString(`<style>.subtopology rect{fill:#f6f8fa;stroke:#d0d7de}.title{font-weight:bold}.node rect{stroke:#444}.source rect{fill:#dbeafe}.processor rect{fill:#fff}.sink rect{fill:#dcfce7}.topic rect{fill:#fef9c3;stroke:#a16207}.store rect{fill:#ede9fe;stroke:#6d28d9}.edge,.repartition{stroke:#555;fill:none}.repartition{stroke-dasharray:5 4}.store-edge{stroke:#6d28d9;stroke-dasharray:2 3}</style>` + "\n")
	out.WriteString(b.String())
	out.WriteString("</svg>\n")
	return out.String()
}
