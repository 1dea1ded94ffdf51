package explain

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// Text writes the table and the invalidation map as plain text.
func Text(w io.Writer, table policy.Table, writes []policy.Route) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var gets []policy.Route
	for _, r := range table {
		if r.Method == "GET" {
			gets = append(gets, r)
		}
	}
	fmt.Fprintf(tw, "Cached routes (%d):\n", len(gets))
	for _, r := range gets {
		fmt.Fprintf(tw, "  GET %s\t%s\t%s\n", pathOf(r), Summary(r), handlerOf(r))
	}
	m := Map(table, writes)
	fmt.Fprintf(tw, "\nWrite routes (%d) and the cached routes they invalidate:\n", len(m))
	for _, wr := range m {
		// Header lines hold no tab, so each write's hits align on their own.
		line := "  " + wr.Route.Method + " " + pathOf(wr.Route)
		if s := Summary(wr.Route); s != "" {
			line += "  [" + s + "]"
		}
		if wr.Route.Handler != "" {
			line += "  " + wr.Route.Handler
		}
		fmt.Fprintln(tw, line)
		switch {
		case wr.Route.Path == "":
			fmt.Fprintln(tw, "      (path unknown: not analysed)")
		case len(wr.Hits) == 0:
			fmt.Fprintln(tw, "      (no cached route)")
		}
		for _, h := range wr.Hits {
			fmt.Fprintf(tw, "      GET %s\t%s\n", h.Route.Path, strings.Join(h.Reasons, "; "))
		}
	}
	return tw.Flush()
}

func handlerOf(r policy.Route) string {
	if r.Handler == "" {
		return "(matched by path)"
	}
	return r.Handler
}

// Mermaid writes the invalidation map as a Mermaid flowchart: write routes
// on the left, cached routes on the right, an edge for each invalidation
// labelled with its reasons.
func Mermaid(w io.Writer, table policy.Table, writes []policy.Route) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := make(map[string]string)
	b.WriteString("    subgraph cached[\"Cached GET routes\"]\n")
	n := 0
	for _, r := range table {
		if r.Method != "GET" {
			continue
		}
		id := fmt.Sprintf("g%d", n)
		n++
		ids[key(r)] = id
		label := escape("GET " + pathOf(r))
		if s := Summary(r); s != "" {
			label += "<br/>" + escape(s)
		}
		fmt.Fprintf(&b, "        %s[\"%s\"]\n", id, label)
	}
	b.WriteString("    end\n")
	m := Map(table, writes)
	b.WriteString("    subgraph writes[\"Write routes\"]\n")
	for i, wr := range m {
		label := escape(wr.Route.Method + " " + pathOf(wr.Route))
		if s := Summary(wr.Route); s != "" {
			label += "<br/>" + escape(s)
		}
		fmt.Fprintf(&b, "        w%d[\"%s\"]\n", i, label)
	}
	b.WriteString("    end\n")
	for i, wr := range m {
		for _, h := range wr.Hits {
			fmt.Fprintf(&b, "    w%d -->|\"%s\"| %s\n", i, escape(strings.Join(h.Reasons, "; ")), ids[key(h.Route)])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func key(r policy.Route) string { return r.Method + " " + r.Path + " " + r.Handler }

func pathOf(r policy.Route) string {
	if r.Path == "" {
		return "(path unknown)"
	}
	return r.Path
}

// escape makes a label safe inside a quoted Mermaid string.
func escape(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(s)
}

// Summary writes a route's policy in directive syntax: "ttl=1h
// vary=user_id", "off invalidate=/reports". A GET's TTL 0 reads
// ttl=default; a write without a policy of its own reads "".
func Summary(r policy.Route) string {
	p := r.Policy
	var parts []string
	if r.Method == "GET" {
		if p.TTL == 0 {
			parts = append(parts, "ttl=default")
		} else {
			parts = append(parts, "ttl="+duration(p.TTL))
		}
	}
	if p.Stale != 0 {
		parts = append(parts, "stale="+duration(p.Stale))
	}
	if len(p.Vary) > 0 {
		parts = append(parts, "vary="+strings.Join(p.Vary, ","))
	}
	if len(p.Identity) > 0 {
		parts = append(parts, "identity="+strings.Join(p.Identity, ","))
	}
	if p.Public {
		parts = append(parts, "public")
	}
	if p.Query != nil {
		parts = append(parts, "query="+strings.Join(p.Query, ","))
	}
	if p.NoInvalidate {
		parts = append(parts, "off")
	}
	if len(p.Invalidate) > 0 {
		parts = append(parts, "invalidate="+strings.Join(p.Invalidate, ","))
	}
	return strings.Join(parts, " ")
}

// duration trims the zero units time.Duration.String leaves: 1h0m0s is 1h.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
