package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The charts are plain SVG written here, from the parsed figures: no
// external tool, no script, no web font (font-family falls back to the
// viewer's sans-serif).

const (
	chartWidth  = 960
	chartHeight = 440
	marginLeft  = 80
	marginRight = 20
	marginTop   = 70
	marginBot   = 60
	panelGap    = 30
)

// palette colours series by their place in a panel: the baseline, this
// library, the peer, then any other.
var palette = []string{"#9e9e9e", "#1f6fb4", "#f28e2b", "#59a14f", "#b07aa1"}

type svg struct{ b strings.Builder }

func (s *svg) printf(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

func (s *svg) text(x, y float64, anchor, size, weight, body string) {
	s.printf(`<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%s" font-weight="%s">%s</text>`+"\n", x, y, anchor, size, weight, html.EscapeString(body))
}

func newSVG(title, subtitle string) *svg {
	s := &svg{}
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n", chartWidth, chartHeight, chartWidth, chartHeight)
	s.printf(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	s.text(chartWidth/2, 24, "middle", "17", "bold", title)
	s.text(chartWidth/2, 44, "middle", "12", "normal", subtitle)
	return s
}

func (s *svg) end() string {
	s.printf("</svg>\n")
	return s.b.String()
}

// barPanel is one panel of a grouped bar chart: for each group (an x
// label), one value per series (NaN when missing).
type barPanel struct {
	title  string
	series []string
	groups []string
	values [][]float64 // [group][series]
}

// barChart draws panels side by side on one linear y axis from zero.
func barChart(title, subtitle, yLabel string, panels []barPanel, label func(float64) string) string {
	s := newSVG(title, subtitle)
	top := 0.0
	for _, p := range panels {
		for _, g := range p.values {
			for _, v := range g {
				if !math.IsNaN(v) {
					top = math.Max(top, v)
				}
			}
		}
	}
	step := niceStep(top / 5)
	top = math.Ceil(top/step) * step
	if top == 0 {
		top, step = 1, 0.2
	}
	plotTop, plotBot := float64(marginTop+30), float64(chartHeight-marginBot)
	y := func(v float64) float64 { return plotBot - v/top*(plotBot-plotTop) }
	// Axis and grid across the whole width.
	for v := 0.0; v <= top+step/2; v += step {
		s.printf(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>`+"\n", marginLeft, y(v), chartWidth-marginRight, y(v))
		s.text(marginLeft-6, y(v)+4, "end", "11", "normal", label(v))
	}
	s.printf(`<text x="18" y="%.1f" transform="rotate(-90 18 %.1f)" text-anchor="middle" font-size="12">%s</text>`+"\n", (plotTop+plotBot)/2, (plotTop+plotBot)/2, html.EscapeString(yLabel))
	width := float64(chartWidth-marginLeft-marginRight-panelGap*(len(panels)-1)) / float64(len(panels))
	for pi, p := range panels {
		x0 := float64(marginLeft) + float64(pi)*(width+panelGap)
		s.text(x0+width/2, float64(marginTop), "middle", "13", "bold", p.title)
		// Legend under the panel's title.
		lx := x0 + 8
		for si, name := range p.series {
			s.printf(`<rect x="%.1f" y="%d" width="10" height="10" fill="%s"/>`+"\n", lx, marginTop+8, palette[si%len(palette)])
			s.text(lx+14, float64(marginTop+17), "start", "11", "normal", name)
			lx += 20 + float64(len(name))*6.2
		}
		gw := width / float64(len(p.groups))
		bw := gw * 0.8 / float64(len(p.series))
		for gi, g := range p.groups {
			gx := x0 + float64(gi)*gw + gw*0.1
			for si := range p.series {
				v := p.values[gi][si]
				if math.IsNaN(v) {
					continue
				}
				bx := gx + float64(si)*bw
				s.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`+"\n",
					bx, y(v), bw-2, plotBot-y(v), palette[si%len(palette)], html.EscapeString(p.series[si]), html.EscapeString(g), html.EscapeString(label(v)))
				s.text(bx+(bw-2)/2, y(v)-3, "middle", "9", "normal", label(v))
			}
			s.text(x0+float64(gi)*gw+gw/2, plotBot+18, "middle", "12", "normal", g)
		}
		s.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", x0, plotBot, x0+width, plotBot)
	}
	return s.end()
}

// seriesStyle colours a line by contender, as the bar charts do: this
// library blue, the peer orange, dashed on Redis; other series take the
// palette in order.
func seriesStyle(name string, i int) (colour, dash string) {
	dash = "none"
	if strings.HasSuffix(name, "-redis") {
		dash = "7 3"
	}
	switch {
	case strings.HasPrefix(name, "gincache-"):
		return palette[1], dash
	case strings.HasPrefix(name, "chenyahui-"):
		return palette[2], dash
	}
	return palette[(i+3)%len(palette)], dash
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// linePanel is one panel of a line chart: x labels evenly spaced, one
// line per series (NaN where missing).
type linePanel struct {
	title  string
	xs     []string
	series []string
	values [][]float64 // [series][x]
}

// logLineChart draws panels side by side on one logarithmic y axis, with
// a dashed reference line at ref (0: none).
func logLineChart(title, subtitle, yLabel, xLabel string, panels []linePanel, ref float64, refLabel string, label func(float64) string) string {
	s := newSVG(title, subtitle)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range panels {
		for _, vs := range p.values {
			for _, v := range vs {
				if !math.IsNaN(v) && v > 0 {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	if ref > 0 {
		lo, hi = math.Min(lo, ref), math.Max(hi, ref)
	}
	if math.IsInf(lo, 0) {
		lo, hi = 1, 10
	}
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi == dlo {
		dhi++
	}
	plotTop, plotBot := float64(marginTop+30), float64(chartHeight-marginBot)
	y := func(v float64) float64 { return plotBot - (math.Log10(v)-dlo)/(dhi-dlo)*(plotBot-plotTop) }
	for d := dlo; d <= dhi; d++ {
		v := math.Pow(10, d)
		s.printf(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>`+"\n", marginLeft, y(v), chartWidth-marginRight, y(v))
		s.text(marginLeft-6, y(v)+4, "end", "11", "normal", label(v))
	}
	s.printf(`<text x="18" y="%.1f" transform="rotate(-90 18 %.1f)" text-anchor="middle" font-size="12">%s</text>`+"\n", (plotTop+plotBot)/2, (plotTop+plotBot)/2, html.EscapeString(yLabel))
	s.text(chartWidth/2, chartHeight-12, "middle", "12", "normal", xLabel)
	if ref > 0 {
		s.printf(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#d62728" stroke-dasharray="6 4"/>`+"\n", marginLeft, y(ref), chartWidth-marginRight, y(ref))
		s.text(chartWidth-marginRight-4, y(ref)-4, "end", "11", "normal", refLabel)
	}
	width := float64(chartWidth-marginLeft-marginRight-panelGap*(len(panels)-1)) / float64(len(panels))
	for pi, p := range panels {
		x0 := float64(marginLeft) + float64(pi)*(width+panelGap)
		s.text(x0+width/2, float64(marginTop), "middle", "13", "bold", p.title)
		x := func(i int) float64 { return x0 + width*(float64(i)+0.5)/float64(len(p.xs)) }
		for i, xl := range p.xs {
			s.text(x(i), plotBot+18, "middle", "12", "normal", xl)
		}
		s.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", x0, plotBot, x0+width, plotBot)
		for si, vs := range p.values {
			colour, dash := seriesStyle(p.series[si], si)
			var pts []string
			for i, v := range vs {
				if math.IsNaN(v) || v <= 0 {
					continue
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
				s.printf(`<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s, %s: %s</title></circle>`+"\n", x(i), y(v), colour, html.EscapeString(p.series[si]), html.EscapeString(p.xs[i]), html.EscapeString(label(v)))
			}
			if len(pts) > 1 {
				s.printf(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`+"\n", strings.Join(pts, " "), colour, dash)
			}
		}
	}
	// One legend for all panels (the same series in each).
	if len(panels) > 0 {
		lx := float64(marginLeft)
		for si, name := range panels[0].series {
			colour, dash := seriesStyle(name, si)
			s.printf(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="3" stroke-dasharray="%s"/>`+"\n", lx, marginTop+15, lx+18, marginTop+15, colour, dash)
			s.text(lx+22, float64(marginTop+19), "start", "11", "normal", name)
			lx += 32 + float64(len(name))*6.2
		}
	}
	return s.end()
}
