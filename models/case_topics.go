package models

// CaseTopic is what a caller asks about: one question of the bureau's Q&A
// sheet (多憑證系統操作相關疑問 Q&A, 109 年 5 月 11 日), or "other". The case
// page shows the sheet's answer while the officer is on the phone, so the
// texts are the sheet's own words; where the sheet answers with screenshots,
// their callouts are written out as steps.
type CaseTopic struct {
	Code     string // stored in cases.topic
	Q        string // Q1 … Q11; "" for other
	Title    string // short, for lists and the select
	Question string
	Answer   []string // paragraphs or steps, in order
	// Table is a table the answer includes (Q10's error codes), rows of cells.
	Table [][]string
}

// Case topic codes.
const (
	TopicOther = "other"
)

// CaseTopics lists the topics in the order of the Q&A sheet, "other" last.
// The migration's CHECK on cases.topic lists the same codes.
var CaseTopics = []CaseTopic{
	{
		Code: "q1", Q: "Q1", Title: "指派作業",
		Question: "什麼是指派作業？如何變更新承辦人？",
		Answer: []string{
			"指派作業是指授權給承辦人員可使用多憑證之權利。",
			"如何新增承辦人員：",
			"① 請將讀卡機內放入工商憑證(單位憑證)或負責人健保卡。",
			"② 請選擇憑證類別：憑證登入-單位憑證：輸入憑證PIN碼；健保卡-負責人健保卡：下方☑單位憑證(請打✓)，輸入健保卡密碼及單位代號。",
			"③ 點選『登入』。",
			"④ 點開「系統管理作業」，點選『單位管理者登錄作業』。",
			"⑤ 點選『新增』。",
			"⑥ 讀卡機請換承辦人之自然人憑證或健保卡。",
			"⑦ 請點選憑證類別-自然人憑證或健保卡。",
			"⑧ 點選『讀取』（自然人憑證須輸入憑證PIN碼，讀出自然人憑證序號）。",
			"⑨ 資料填寫：身分證號、姓名、是否「允許使用所有加退保業務功能」、電子郵件信箱。",
			"⑩ 點選『儲存』。",
			"健保卡尚未註冊者，請連結至「健保卡網路服務註冊」，點選「首次登入請先申請」完成註冊程序並設定密碼。負責人欲使用加退保等異動作業，請新增自然人憑證或健保卡資料。",
			"如何刪除承辦人員：請將讀卡機放入工商憑證(單位憑證)或負責人健保卡後登入，進入「單位管理者登錄作業」；承辦人員離職或變更，請點選『刪除』，解除其權限。",
		},
	},
	{
		Code: "q2", Q: "Q2", Title: "錯誤代碼 3003",
		Question: "承辦人員換新的自然人憑證，登入時出現錯誤代碼“3003”且無法登入？",
		Answer: []string{
			"表示憑證元件需更新，請重新下載憑證元件。",
			"先回到多憑證首頁 → 選取「new 環境說明」 → 選取「下載元件安裝檔」 → 下載完成後請重新啟動電腦。",
			"環境說明頁依作業系統（Windows、Mac、Linux(Ubuntu)）分別提供元件安裝檔、元件安裝手冊及 MD5 驗證碼，請依您的作業系統版本下載。",
		},
	},
	{
		Code: "q3", Q: "Q3", Title: "單位憑證到期更新",
		Question: "單位憑證-工商憑證註冊，憑證到期更換，如何更新？",
		Answer: []string{
			"需重新更新憑證資料，作法如下：",
			"先以承辦人員(單位管理者)身分登入多憑證 → 點開「系統管理作業」 → 選取「單位憑證變更作業」 → 請將工商憑證(單位憑證) 放入讀卡機 → 點取「讀取」，看到下方灰色框線內有公司名稱跑出後 → 再點取「儲存」 → 憑證更新成功。",
			"讀取後會顯示新憑證發行者、新憑證主體及新憑證序號。",
		},
	},
	{
		Code: "q4", Q: "Q4", Title: "改以工商憑證註冊",
		Question: "原單位以負責人健保卡註冊並指派承辦人，之後想更換以工商憑證指派承辦人員，如何處理？",
		Answer: []string{
			"需註銷原多憑證帳號再重新註冊，請單位電洽本組承辦人，本組承辦人員會先註銷原多憑證帳號後，請單位再以工商憑證重新註冊及指派單位承辦人員。",
		},
	},
	{
		Code: "q5", Q: "Q5", Title: "登入出現「洽詢承辦人」",
		Question: "從多憑證網路系統登入，出現提示視窗「洽詢承辦人」時，該如何處理？",
		Answer: []string{
			"請先打電話進來洽詢本組承辦人，本組承辦人員查詢資料後(可能於本系統之投保單位資料暫時關閉)，確認為暫時關閉後會將單位開啟，請單位隔天再登入多憑證系統，即可正常使用。",
			"（本系統：在單位頁按「開啟單位」後立即生效，請單位直接重新登入，不必等到隔天。）",
		},
	},
	{
		Code: "q6", Q: "Q6", Title: "自然人憑證忘記密碼或鎖卡",
		Question: "自然人憑證忘記密碼或輸入錯誤被鎖卡，該如何處理？",
		Answer: []string{
			"有三種方式如下：",
			"1. 現場辦理：可於各戶政事務所現場(請攜帶身分證明文件)辦理解碼或重設密碼。",
			"2. 上網申辦：至內政部憑證管理中心(網址：http://moica.nat.gov.tw/html/rac.htm)申請修改密碼或解碼。",
			"3. 電話申請：撥打內政部憑證管理中心客服電話：0800-080-117(服務時間：週一至週五上午7點至晚上11點；星期例假日8:30~17:30)，請相關客服人員協助處理。",
		},
	},
	{
		Code: "q7", Q: "Q7", Title: "單位憑證忘記密碼或鎖卡",
		Question: "單位憑證忘記密碼或輸入錯誤被鎖卡，該如何處理？",
		Answer: []string{
			"請向各發卡之管理中心詢問，例如：工商憑證請向經濟部工商憑證管理中心詢問。",
		},
	},
	{
		Code: "q8", Q: "Q8", Title: "補登勞保證號",
		Question: "一開始註冊時還沒有勞保證號，之後如何從多憑證系統再補登勞保證號？",
		Answer: []string{
			"請先登入多憑證 → 點開「單位資料查詢及變更」 → 選取「投保單位基本資料」 → 填入勞保證號「數字+英文共9碼」（例如 12345678A） → 再點「儲存」，則更正完成 → 請先登出，等30分鐘後再登入，即可使用。",
		},
	},
	{
		Code: "q9", Q: "Q9", Title: "登記或通訊地址變更",
		Question: "單位登記或通訊地址變更，如何從多憑證系統內更改？",
		Answer: []string{
			"1. 變更登記地址：請先登入多憑證 → 點開「單位資料查詢及變更」 → 選取「基本資料變更-需證明文件」 → 先勾選變更登記地址 → 填入更改之地址及下方聯絡資訊 → 再上傳向主管機申請之證明文件 → 點取「儲存」 → 等候本組承辦人員審核完成，即變更成功。",
			"（畫面欄位：生效日期、變更單位名稱、變更登記地址〔縣市、鄉鎮市區、村里、鄰、街路門號〕、聯絡人姓名、聯絡電話、證明文件一、證明文件二。）",
			"2. 變更通訊地址：請先登入多憑證 → 點開「單位資料查詢及變更」 → 選取「基本資料變更-不需證明文件」 → 先勾選 如需變更通訊地址 請勾選並填寫下列地址欄 → 填入更改之地址 → 點取「儲存」，即變更成功。",
			"（同一畫面亦可變更通訊電話及電話傳真。）",
		},
	},
	{
		Code: "q10", Q: "Q10", Title: "申報後收到錯誤代碼",
		Question: "進入多憑證系統申報加退保或薪調等資料，隔天電子信箱收到錯誤代碼通知時，該如何處理？",
		Answer: []string{
			"請先登入多憑證 → 點開「單位資料查詢及變更」 → 選取「異動檢核後查詢」 → 下拉「作業別」（視昨天登打的資料選取） → 再點取「查詢」 → 看建檔之資料是否有“審核正確”表示資料已進檔，若出現其他代碼，如：c、d、C…等 → 可選取「錯誤代碼說明」去了解錯誤發生內容，或撥打電話詢問本組承辦人員。",
			"申報日期可查詢過去二個月內之檢核結果。",
			"異動作業檢核錯誤代碼說明表（節錄）：",
		},
		Table: [][]string{
			{"0", "W(OCR)、s(畫面登打)、d(委外輸入)之異動資料，若其受理分區業務組及投保單位非總局，則其異動受理業務組需等於單位所屬分區業務組 (branch_id=o_branch_id)"},
			{"2", "眷屬年齡可能錯誤，即直系卑親屬(稱謂3、5、7)出生日期與被保險人不可相差14歲以內"},
			{"3", "六類二目被保險人未滿20歲，且無法定代理人"},
			{"5", "投保金額級距尚未建檔"},
		},
	},
	{
		Code: "q11", Q: "Q11", Title: "套印申報表件",
		Question: "進入多憑證系統，如何將已申報之表件套印(列印)下來？",
		Answer: []string{
			"請先登入多憑證 → 點開「列印及媒體上傳」 → 選取「申報資料套印表格」 → 選取「表格類型」及「報表類別」 → 點取「申報證明文件查詢」 → 下方會顯示已申報之表格 → 點取「列印」 → 產生 PDF 檔後下載。",
			"表格類型請選擇需要列印之表格類型（例如 健保專用），否則無法正確列印；報表類別例如「第一~三類保險對象投保申請表」。",
		},
	},
	{
		Code: TopicOther, Title: "其他",
		Question: "其他問題",
		Answer: []string{
			"Q&A 未涵蓋此問題，請在備註中記錄來電內容與處理經過。",
		},
	},
}

// CaseTopicByCode returns the topic with the code, and whether it exists.
func CaseTopicByCode(code string) (CaseTopic, bool) {
	for _, t := range CaseTopics {
		if t.Code == code {
			return t, true
		}
	}
	return CaseTopic{}, false
}

// Label is the topic as a select or a list shows it: "Q1 指派作業".
func (t CaseTopic) Label() string {
	if t.Q == "" {
		return t.Title
	}
	return t.Q + " " + t.Title
}
