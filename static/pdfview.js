// multicert PDF proofs: draws each page of a proof document into a <canvas>
// with PDF.js (vendored, see README.md here), so that reviewers see PDFs
// without the browser's own viewer, which runs a PDF's JavaScript and, in a
// sandboxed frame, shows nothing at all.
//
// Markup: <div data-pdf="/console/documents/7" data-pdf-label="證明文件一：x.pdf">
// holding a <p data-pdf-status> for messages. PDF.js is imported only when
// the page has such an element. The document is fetched as bytes (the
// endpoint answers as an attachment, which fetch ignores) and given to
// PDF.js as data: no URL of ours reaches its loaders. Nothing of the PDF
// can run: PDF.js never evaluates code in this version (isEvalSupported is
// passed for older copies and the Content-Security-Policy forbids eval
// anyway), no annotation layer, XFA, scripting sandbox or WebAssembly is
// used, and the pages are pixels.
const PDFJS = "/static/pdfjs-6.5.438.min.mjs";
const WORKER = "/static/pdfjs-6.5.438.worker.min.mjs";
const MAX_PAGES = 50; // a proof longer than this is read from the download

let pdfjs = null;

function library() {
  if (!pdfjs) {
    pdfjs = import(PDFJS).then((lib) => {
      lib.GlobalWorkerOptions.workerSrc = WORKER;
      return lib;
    });
  }
  return pdfjs;
}

function say(box, text) {
  const status = box.querySelector("[data-pdf-status]");
  if (status) { status.textContent = text; }
}

async function show(box) {
  if (box.dataset.pdfState) { return; }
  box.dataset.pdfState = "loading";
  const label = box.dataset.pdfLabel || "PDF 文件";
  try {
    const res = await fetch(box.dataset.pdf, { credentials: "same-origin", cache: "no-store" });
    if (!res.ok) { throw new Error("HTTP " + res.status); }
    const data = new Uint8Array(await res.arrayBuffer());
    const lib = await library();
    const task = lib.getDocument({
      data,
      isEvalSupported: false,
      enableXfa: false,
      useWasm: false, // WebAssembly would need 'wasm-unsafe-eval'; the JS decoders below do the same work
      wasmUrl: "/static/", // where jbig2_nowasm_fallback.js and openjpeg_nowasm_fallback.js are
      useSystemFonts: true,
      stopAtErrors: false,
    });
    const doc = await task.promise;
    const pages = Math.min(doc.numPages, MAX_PAGES);
    say(box, label + "，共 " + doc.numPages + " 頁" +
      (pages < doc.numPages ? "，以下顯示前 " + pages + " 頁，其餘請下載原檔查看" : "，以下逐頁顯示") +
      "；可用方向鍵或 Page Up／Page Down 捲動。");
    // Every page gets its canvas, sized, at once (so that the scroll bar is
    // right); a page is drawn when it comes near the visible part of the
    // view, one at a time, so that a long document does not hold dozens of
    // full-size bitmaps that nobody looked at.
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const width = box.clientWidth || 800;
    const drawPage = async (canvas) => {
      const page = await doc.getPage(Number(canvas.dataset.page));
      const viewport = page.getViewport({ scale: canvas.width / page.getViewport({ scale: 1 }).width });
      // Annotations are drawn as their appearance (a stamp, a filled
      // field), never as live widgets or links.
      await page.render({
        canvasContext: canvas.getContext("2d"),
        viewport,
        annotationMode: lib.AnnotationMode.ENABLE,
      }).promise;
      page.cleanup();
    };
    let queue = Promise.resolve();
    const draw = (canvas) => {
      queue = queue.then(() => drawPage(canvas)).catch((e) => {
        console.error("pdfview:", box.dataset.pdf, "page", canvas.dataset.page, e);
        canvas.setAttribute("aria-label", canvas.getAttribute("aria-label") + "（無法顯示，請下載原檔查看）");
      });
      return queue;
    };
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      }
    }, { root: box, rootMargin: "100% 0px" });
    const canvases = [];
    for (let n = 1; n <= pages; n++) {
      const page = await doc.getPage(n);
      const viewport = page.getViewport({ scale: (width / page.getViewport({ scale: 1 }).width) * ratio });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.className = "pdf-page";
      canvas.dataset.page = String(n);
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", label + " 第 " + n + " 頁，共 " + doc.numPages + " 頁");
      box.appendChild(canvas);
      canvases.push(canvas);
    }
    await drawPage(canvases[0]); // a failure here is the document's: said in the status
    canvases.slice(1).forEach((c) => observer.observe(c));
    box.dataset.pdfState = "done";
    box.dataset.pdfPages = String(doc.numPages);
  } catch (e) {
    console.error("pdfview:", box.dataset.pdf, e);
    box.dataset.pdfState = "error";
    say(box, label + "：無法在此顯示 PDF 預覽（" + (e && e.name ? e.name : "錯誤") + "），請用「下載原檔」連結下載後查看。");
  }
}

function showAll(root) {
  root.querySelectorAll("[data-pdf]").forEach(show);
}

showAll(document);
document.addEventListener("htmx:afterSettle", (e) => showAll(e.target));
