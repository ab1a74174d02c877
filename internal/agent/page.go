package agent

import (
	"bytes"
	"html/template"
	"net/http"
)

// pageTemplate is the page at GET /: what the agent is, and what to do about
// the browser's local-network permission prompt. It has no script.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="zh-Hant-TW">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>健保署多憑證讀卡程式</title>
<style>
body{font-family:"Noto Sans TC","Microsoft JhengHei",sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.7;color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
code{background:#f0f0f0;padding:0 .25em}
.note{border-left:4px solid #2b6cb0;background:#eef5fc;padding:.5rem 1rem}
</style>
</head>
<body>
<main>
<h1>健保署多憑證讀卡程式</h1>
<p>這是在您電腦上執行的讀卡程式（版本 <code>{{.Version}}</code>）。它讓健保署網站的網頁讀取讀卡機中的卡片：</p>
<ul>
<li>健保卡：只讀取卡片上的基本資料（卡號、姓名、身分證號、出生日期、性別、發卡日期）。</li>
<li>自然人憑證、工商憑證：讀取卡片中的憑證，並在您輸入 PIN 碼後，用卡片對登入挑戰碼簽章，以證明您持有這張卡片。</li>
</ul>
<p>讀卡程式只接受本機（127.0.0.1）的連線，也只接受下列網站的網頁使用。PIN 碼只會送進卡片驗證，讀卡程式不會記錄或保存。請注意：PIN 碼連續輸入錯誤 3 次，卡片就會鎖卡。</p>

<h2>允許使用讀卡機的網站</h2>
{{if .Origins}}<ul>
{{range .Origins}}<li><code>{{.}}</code></li>
{{end}}</ul>{{else}}<p>（尚未設定任何網站，目前沒有網頁可以使用讀卡程式。）</p>{{end}}

<h2>瀏覽器詢問「存取區域網路上的裝置」時</h2>
<div class="note">
<p>Chrome 和 Edge 第一次在健保署網站上使用讀卡機時，網址列下方會跳出提示，詢問是否「允許」該網站「存取您的區域網路上的裝置」（實際文字依瀏覽器版本略有不同）。讀卡程式就是這個「裝置」。</p>
<p>請先確認提示中的網站是上面列出的健保署網站，再按「允許」。其他網站出現同樣的提示時，請按「封鎖」。</p>
</div>
<p>如果不小心按了「封鎖」，或想要收回權限：點選網址列左側的「查看網站資訊」圖示，開啟「網站設定」，找到「區域網路存取」（或「本機網路存取」）一項，改為「允許」或「封鎖」，然後重新整理網頁。</p>

<h2>需要協助？</h2>
<p>若網頁顯示找不到讀卡程式，請確認本程式正在執行，並重新整理網頁。若讀不到卡片，請確認讀卡機已接上電腦、卡片已正確插入，並已安裝讀卡機與憑證卡（HiCOS）的驅動程式。</p>
</main>
</body>
</html>
`))

// servePage answers GET / with the page about the agent.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "不支援這個請求方法。", http.StatusMethodNotAllowed)
		return
	}
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, struct {
		Version string
		Origins []string
	}{s.version, s.allowed})
	if err != nil {
		http.Error(w, "讀卡程式發生錯誤。", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(buf.Bytes())
	}
}
