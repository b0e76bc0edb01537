package bot

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		ua  string
		bot bool
	}{
		{"", true},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
		{"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", true},
		{"WhatsApp/2.23.20.0 A", true},
		{"TelegramBot (like TwitterBot)", true},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", true},
		{"curl/8.5.0", true},
		{"python-requests/2.31.0", true},
		{"Go-http-client/2.0", true},
		{"AdsBot-Google (+http://www.google.com/adsbot.html)", true},
		{"Some bot 1.0", true},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.21.0", false},
		{"Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36", false},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", false},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 [FBAN/EMA;FBLC/zh_TW;FBAV/400.0.0.10.100;]", false},
	}
	for _, tc := range tests {
		sig, got := Match(tc.ua)
		if got != tc.bot {
			t.Errorf("Match(%q) = %v (%q), want %v", tc.ua, got, sig, tc.bot)
		}
	}
}
