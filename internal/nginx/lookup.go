package nginx

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// missingHint names what to install, in the skip or failure message.
const missingHint = "nginx with the RTMP module is needed (Debian: apt-get install nginx libnginx-mod-rtmp)"

// moduleDirs are searched for ngx_rtmp_module.so after the modules path
// nginx reports: the Debian, Fedora and source-build locations.
var moduleDirs = []string{
	"/usr/lib/nginx/modules",
	"/usr/lib64/nginx/modules",
	"/usr/local/nginx/modules",
	"/usr/local/lib/nginx/modules",
}

var modulesPathRE = regexp.MustCompile(`--modules-path=(\S+)`)

// Find locates the nginx binary and the RTMP module to load ("" when it
// is built in).
func Find() (binary, module string, err error) {
	binary, err = exec.LookPath("nginx")
	if err != nil {
		// /usr/sbin is often missing from PATH outside a root shell.
		if _, statErr := os.Stat("/usr/sbin/nginx"); statErr != nil {
			return "", "", fmt.Errorf("%s: nginx binary not found: %w", missingHint, err)
		}
		binary = "/usr/sbin/nginx"
	}
	out, err := exec.Command(binary, "-V").CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("%s: nginx -V: %w", missingHint, err)
	}
	info := string(out)
	// A statically built module shows up as --add-module=.../nginx-rtmp-module.
	if regexp.MustCompile(`--add-module=\S*rtmp`).MatchString(info) {
		return binary, "", nil
	}
	dirs := moduleDirs
	if m := modulesPathRE.FindStringSubmatch(info); m != nil {
		dirs = append([]string{m[1]}, dirs...)
	}
	for _, d := range dirs {
		p := filepath.Join(d, "ngx_rtmp_module.so")
		if _, err := os.Stat(p); err == nil {
			return binary, p, nil
		}
	}
	return "", "", fmt.Errorf("%s: ngx_rtmp_module.so not found in %s", missingHint, strings.Join(dirs, ", "))
}
