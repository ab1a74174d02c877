package handlers

import "testing"

func TestLinkify(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"詳見 https://www.nhi.gov.tw/a?b=1&c=2。", `詳見 <a href="https://www.nhi.gov.tw/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">https://www.nhi.gov.tw/a?b=1&amp;c=2</a>。`},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{`http://x.tw/"onmouseover=alert(1)`, `<a href="http://x.tw/" rel="noopener noreferrer" target="_blank">http://x.tw/</a>&#34;onmouseover=alert(1)`},
		{"javascript:alert(1)", "javascript:alert(1)"},
		{"一\n二", "一<br>\n二"},
		{"見 (https://a.tw/x).", `見 (<a href="https://a.tw/x" rel="noopener noreferrer" target="_blank">https://a.tw/x</a>).`},
	} {
		if got := string(linkify(tc.in)); got != tc.want {
			t.Errorf("linkify(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}
