package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/internal/twid"
)

// TestClerkNameWithMadeCharacter is issue 16.4 in the browser: the card
// agent reads an NHI card whose name holds a 造字 (nameNeedsCheck); the form
// asks 「此姓名含造字，請確認」, refuses the name with U+FFFD, and saves the
// name typed with the right character.
func TestClerkNameWithMadeCharacter(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	unit := newBrowser(t)
	acceptDialogs(unit)
	unitLogin(t, unit, srv.URL)
	id := twid.MakeNationalID('H', 2, 7654323)
	// The agent's answer for such a card, as internal/agent gives it.
	fake := `window.multicertAgent.read = () => Promise.resolve({type: "nhi_card",
		nhi: {cardNo: "000012345670", idNo: "` + id + `", name: "王\ufffd明", nameRaw: "a4fdfefea9fa", nameNeedsCheck: true}}); true`
	err := chromedp.Do(unit,
		chromedp.Navigate(srv.URL+"/portal/handlers"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="card_type"][value="nhi_card"]`)),
		script(fake),
		chromedp.Click(chromedp.CSS(`input[name="card_type"][value="nhi_card"]`)),
		chromedp.Click(chromedp.CSS(`button[data-card-read]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, "#card-read-result", "姓名含造字"); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, "#name-check", "此姓名含造字，請確認"); err != nil {
		t.Fatal(err)
	}
	step(t, unit, "#name-error", "無法辨識的造字",
		chromedp.SendKeys(chromedp.ID("email"), "wang@example.com"),
		chromedp.Click(chromedp.CSS(`form[action="/portal/handlers"] button[type="submit"]`)),
	)
	step(t, unit, "#flash", "已新增承辦人「王𥕢明」",
		script(`document.getElementById('name').value = "王𥕢明"; true`),
		chromedp.Click(chromedp.CSS(`form[action="/portal/handlers"] button[type="submit"]`)),
	)
}

// script runs JavaScript in the page as a step.
func script(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](js)(ctx, tg)
		return chromedp.Void{}, err
	}
}
