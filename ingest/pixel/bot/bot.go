// Package bot recognises automated clients by their User-Agent: crawlers,
// link-preview fetchers (which open every link shown in a chat), uptime
// checkers and HTTP libraries. The pixel refuses their hits and the click
// redirector redirects them without counting a click.
//
// Data enters as a User-Agent string and leaves as the matched signature, so
// refusals can say why. It is a heuristic: a bot that claims to be a browser
// passes, and the list errs towards letting real browsers through (a bare
// "bot" inside a device name such as "CUBOT" does not match).
package bot

import "strings"

// signatures are lower-case substrings that real browsers never send.
var signatures = []string{
	"bot/", "bot-", "+http://", "+https://", "crawler", "spider", "scrapy", "slurp",
	"facebookexternalhit", "facebookcatalog", "whatsapp/", "telegrambot", "skypeuripreview",
	"preview", "headlesschrome", "phantomjs", "lighthouse", "pingdom", "uptimerobot",
	"embedly", "feedfetcher", "mediapartners-google", "google-inspectiontool",
	"curl/", "wget/", "python-", "go-http-client", "java/", "okhttp", "axios/",
	"node-fetch", "libwww", "httpclient", "postmanruntime",
}

// Match reports whether ua looks automated, and the signature that matched.
// An empty User-Agent counts as automated.
func Match(ua string) (signature string, ok bool) {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return "empty User-Agent", true
	}
	l := strings.ToLower(ua)
	for _, s := range signatures {
		if strings.Contains(l, s) {
			return s, true
		}
	}
	if hasWord(l, "bot") {
		return "bot", true
	}
	return "", false
}

// hasWord reports whether w occurs in s delimited by non-letters.
func hasWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isLetter(s[j-1])
		end := j + len(w)
		after := end == len(s) || !isLetter(s[end])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }
