package report

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// WriteSVG draws the ratio of every row that has an anchor as a
// horizontal bar on a logarithmic axis, starting at 1x (the anchor): a
// bar to the left means ours is lower (faster, fewer waits), to the
// right higher. Green bars meet their goal, red bars miss it, grey bars
// have none; a black tick marks the goal.
func WriteSVG(w io.Writer, rows []Row) error {
	var plotted []Row
	for _, r := range rows {
		if !math.IsNaN(r.Ratio) && r.Ratio > 0 {
			plotted = append(plotted, r)
		}
	}
	const (
		width   = 980
		labelW  = 430
		right   = 70
		top     = 58
		rowH    = 24
		barH    = 14
		bottomH = 60
	)
	height := top + rowH*max(len(plotted), 1) + bottomH
	lo, hi := 0.0, 0.0 // log10 bounds of the axis
	for _, r := range plotted {
		lo = math.Min(lo, math.Log10(r.Ratio))
		hi = math.Max(hi, math.Log10(r.Ratio))
		if r.Goal.Kind == RatioAtMost || r.Goal.Kind == RatioBelow {
			lo = math.Min(lo, math.Log10(r.Goal.Value))
			hi = math.Max(hi, math.Log10(r.Goal.Value))
		}
	}
	lo, hi = math.Floor(lo), math.Ceil(hi)
	if hi-lo < 2 {
		hi = lo + 2
	}
	plotW := float64(width - labelW - right)
	x := func(ratio float64) float64 {
		return float64(labelW) + (math.Log10(ratio)-lo)/(hi-lo)*plotW
	}

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="%d" y="22" font-size="16" font-weight="bold">gosess / anchor (log scale; left of 1x = ours lower)</text>`+"\n", 10)
	p(`<text x="%d" y="40" fill="#555">green: goal met · red: goal missed · grey: no goal · black tick: goal</text>`+"\n", 10)

	// Grid: one line per decade, labelled.
	axisBottom := top + rowH*max(len(plotted), 1)
	for d := lo; d <= hi; d++ {
		gx := x(math.Pow(10, d))
		stroke := "#ddd"
		if d == 0 {
			stroke = "#333"
		}
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", gx, top-6, gx, axisBottom, stroke)
		p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#333">%s</text>`+"\n", gx, axisBottom+16, decadeLabel(d))
	}
	p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#333">ours / anchor</text>`+"\n", float64(labelW)+plotW/2, axisBottom+36)

	for i, r := range plotted {
		y := top + i*rowH
		label := fmt.Sprintf("#%s %s", r.Issue, r.Title)
		if len([]rune(label)) > 62 {
			label = string([]rune(label)[:61]) + "…"
		}
		p(`<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-8, y+barH-2, html.EscapeString(label))
		color := "#9e9e9e"
		switch r.Verdict {
		case "pass":
			color = "#2e7d32"
		case "FAIL":
			color = "#c62828"
		}
		x0, x1 := x(1), x(r.Ratio)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		p(`<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`+"\n",
			x0, y, math.Max(x1-x0, 1), barH, color, html.EscapeString(r.Title), FormatRatio(r.Ratio))
		// The value goes past the bar's end, or inside the bar (in white)
		// when there is no room between the bar and the labels.
		text := FormatRatio(r.Ratio)
		textW := 7 * float64(len(text))
		tx, anchor, fill := x(r.Ratio)+4, "start", "#222"
		if r.Ratio < 1 {
			tx, anchor = x(r.Ratio)-4, "end"
			if tx-textW < float64(labelW) {
				tx, anchor, fill = x(r.Ratio)+4, "start", "white"
			}
		}
		p(`<text x="%.1f" y="%d" text-anchor="%s" fill="%s">%s</text>`+"\n", tx, y+barH-2, anchor, fill, text)
		if r.Goal.Kind == RatioAtMost || r.Goal.Kind == RatioBelow {
			gx := x(r.Goal.Value)
			p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black" stroke-width="2"><title>goal %s</title></line>`+"\n",
				gx, y-3, gx, y+barH+3, html.EscapeString(FormatGoal(r.Comparison)))
		}
	}
	p("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func decadeLabel(d float64) string { return fmt.Sprintf("%gx", math.Pow(10, d)) }
