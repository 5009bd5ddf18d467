package nginx

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Config renders nginx.conf for a foreground nginx on 127.0.0.1:port.
// Every path nginx writes to is inside dir; module is the RTMP module to
// load ("" when built in, see Find), and opts.Apps must not be empty.
//
// Recordings: "record all" writes each publish to
// records/KEY-UNIXSECONDS.flv ("record_unique on"), so a reconnect makes a
// second file rather than overwriting the first, unless both publishes of
// the same key start within the same second.
func Config(dir, module string, port int, opts Options) string {
	var b strings.Builder
	if module != "" {
		fmt.Fprintf(&b, "load_module %s;\n", module)
	}
	fmt.Fprintf(&b, `daemon off;
master_process off;
worker_processes 1;
pid %s;
error_log %s info;

events {
    worker_connections 1024;
}

rtmp {
    access_log %s;
    server {
        listen 127.0.0.1:%d;
        chunk_size 4096;
`,
		filepath.Join(dir, "nginx.pid"),
		filepath.Join(dir, "logs", "error.log"),
		filepath.Join(dir, "logs", "access.log"),
		port)
	for _, app := range opts.Apps {
		fmt.Fprintf(&b, "\n        application %s {\n            live on;\n", app)
		if !opts.NoRecord {
			fmt.Fprintf(&b, `            record all;
            record_path %s;
            record_unique on;
`, filepath.Join(dir, "records"))
		}
		if opts.HLS {
			fmt.Fprintf(&b, `            hls on;
            hls_path %s;
            hls_fragment 2s;
            hls_playlist_length 60s;
            hls_cleanup off;
`, filepath.Join(dir, "hls"))
		}
		if opts.DenyPublish {
			b.WriteString("            deny publish all;\n")
		}
		b.WriteString("        }\n")
	}
	b.WriteString("    }\n}\n")
	return b.String()
}
