package nginxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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

// lookup finds the nginx binary and the RTMP module to load ("" when it is
// built in). When either is missing it fails the test under CI=true and
// skips it otherwise.
func lookup(t testing.TB) (binary, module string) {
	t.Helper()
	binary, err := exec.LookPath("nginx")
	if err != nil {
		// /usr/sbin is often missing from PATH outside a root shell.
		if _, statErr := os.Stat("/usr/sbin/nginx"); statErr != nil {
			missing(t, "nginx binary not found: "+err.Error())
		}
		binary = "/usr/sbin/nginx"
	}
	out, err := exec.Command(binary, "-V").CombinedOutput()
	if err != nil {
		missing(t, "nginx -V: "+err.Error())
	}
	info := string(out)
	// A statically built module shows up as --add-module=.../nginx-rtmp-module.
	if regexp.MustCompile(`--add-module=\S*rtmp`).MatchString(info) {
		return binary, ""
	}
	dirs := moduleDirs
	if m := modulesPathRE.FindStringSubmatch(info); m != nil {
		dirs = append([]string{m[1]}, dirs...)
	}
	for _, d := range dirs {
		p := filepath.Join(d, "ngx_rtmp_module.so")
		if _, err := os.Stat(p); err == nil {
			return binary, p
		}
	}
	missing(t, "ngx_rtmp_module.so not found in "+strings.Join(dirs, ", "))
	return "", ""
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("nginxtest: %s: %s", missingHint, why)
	}
	t.Skipf("nginxtest: %s: %s", missingHint, why)
}
