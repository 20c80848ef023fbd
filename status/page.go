// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"html/template"
	"io"
	"time"
)

// pageTemplate is the status page: plain HTML and CSS, the topology inline
// as SVG, no script.
var pageTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"lower": func(s string) string {
		b := []byte(s)
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		return string(b)
	},
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.S.AppID}} · {{.S.Instance}} · Eddy</title>
{{if .Refresh}}<meta http-equiv="refresh" content="{{.Refresh}}">{{end}}
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2328}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
table{border-collapse:collapse;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.state{display:inline-block;padding:.1rem .5rem;border-radius:.8rem;font-size:.8rem;font-weight:600;background:#eee}
.running{background:#dcfce7;color:#166534}.rebalancing,.restoring{background:#fef9c3;color:#854d0e}
.error,.pending_error{background:#fee2e2;color:#991b1b}.standby{background:#ede9fe;color:#5b21b6}
.muted{color:#656d76;font-size:.85rem}.graph{overflow:auto;border:1px solid #d0d7de;padding:.5rem}
</style>
</head>
<body>
<h1>{{.S.AppID}} <span class="state {{lower .S.State}}" id="app-state">{{.S.State}}</span></h1>
<div class="muted">instance <b id="instance">{{.S.Instance}}</b>{{if .S.Endpoint}} at {{.S.Endpoint}}{{end}} · {{.S.Processed}} records processed · {{.S.Commits}} commits · {{.S.Aborts}} aborts · {{.S.Time.Format "2006-01-02 15:04:05 MST"}}</div>

<h2>Workers</h2>
<table id="threads"><tr><th>worker</th><th>running</th><th>restoring</th><th>standby</th><th>rebalances</th><th>poll (mean)</th><th>commit (mean)</th></tr>
{{range .S.Threads}}<tr><td>{{.ID}}</td><td class="n">{{.Running}}</td><td class="n">{{.Restoring}}</td><td class="n">{{.Standby}}</td><td class="n">{{.Rebalances}}</td><td class="n">{{printf "%.1f" .PollMs}} ms</td><td class="n">{{printf "%.1f" .CommitMs}} ms</td></tr>
{{end}}</table>

<h2>Tasks</h2>
{{if .S.Tasks}}<table id="tasks"><tr><th>task</th><th>state</th><th>worker</th><th>processed</th><th>dropped</th><th>input lag</th><th>restore</th><th>standby lag</th></tr>
{{range .S.Tasks}}<tr class="task" data-task="{{.ID}}"><td>{{.ID}}</td><td><span class="state {{lower .State}}">{{.State}}</span></td><td class="n">{{if ge .Thread 0}}{{.Thread}}{{end}}</td><td class="n">{{.Processed}}</td><td class="n">{{.Dropped}}</td>
<td class="n" title="{{range .Partitions}}{{.Topic}}/{{.Partition}}: {{.Lag}}&#10;{{end}}">{{if eq .State "STANDBY"}}{{else}}{{.Lag}}{{end}}</td>
<td class="n">{{if .RestoreRemaining}}{{.RestoreRemaining}} to go ({{.Restored}} done){{else if .Restored}}{{.Restored}} restored{{end}}</td>
<td class="n">{{if eq .State "STANDBY"}}{{if ge .StandbyLag 0}}{{.StandbyLag}}{{else}}?{{end}}{{end}}</td></tr>
{{end}}</table>{{else}}<p class="muted">No tasks yet.</p>{{end}}

<h2>Group</h2>
{{if .S.MembersError}}<p class="muted">The group could not be described: {{.S.MembersError}}</p>{{end}}
{{if .S.Members}}<table id="members"><tr><th>instance</th><th>endpoint</th><th>active tasks</th><th>standby tasks</th></tr>
{{range .S.Members}}<tr><td>{{.Instance}}</td><td>{{if .Endpoint}}<a href="http://{{.Endpoint}}/">{{.Endpoint}}</a>{{end}}</td><td>{{range $i, $t := .Active}}{{if $i}}, {{end}}{{$t}}{{end}}</td><td>{{range $i, $t := .Standby}}{{if $i}}, {{end}}{{$t}}{{end}}</td></tr>
{{end}}</table>{{end}}

<h2>Topology</h2>
<div class="graph" id="topology">{{.SVG}}</div>
<details><summary class="muted">As text</summary><pre>{{.Describe}}</pre></details>
</body>
</html>
`))

// render writes the page.
func render(w io.Writer, s Status, svg, describe string, refresh time.Duration) error {
	return pageTemplate.Execute(w, struct {
		S        Status
		SVG      template.HTML
		Describe string
		Refresh  int
	}{s, template.HTML(svg), describe, int(refresh.Seconds())})
}
