package handlers

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"

	"github.com/gofiber/fiber/v2"
)

// exportIncomplete is the last line of an export that broke off: a file
// that was kept anyway says that it is not the whole answer.
const exportIncomplete = "匯出中斷：資料不完整，請重新下載。"

// streamCSV sends a CSV file (UTF-8 with a byte order mark, so that Excel
// reads the Chinese; CRLF line ends, as Excel writes them) as the response
// body, while each produces its records through emit. The body is streamed
// after the handler has returned, when Fiber's context is gone: each must
// keep only what it needs.
//
// When each fails, the error is logged, the file ends with exportIncomplete
// and the response is aborted (the chunked body never ends), so the browser
// reports a failed download instead of saving a silently truncated file.
func streamCSV(c *fiber.Ctx, log *slog.Logger, header []string, each func(emit func([]string) error) error) {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriter(pw)
		cw := csv.NewWriter(bw)
		cw.UseCRLF = true
		rows := 0
		_, err := bw.WriteString("\uFEFF")
		if err == nil {
			err = cw.Write(header)
		}
		if err == nil {
			err = each(func(rec []string) error {
				rows++
				return cw.Write(rec) // an error of the client's connection shows here or at Flush
			})
		}
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		if err == nil {
			err = bw.Flush()
		}
		switch {
		case err == nil:
			pw.Close()
			return
		case errors.Is(err, io.ErrClosedPipe):
			// fasthttp closed the body stream: the client has gone.
			log.Warn("export: the client went away", "rows", rows)
		default:
			log.Error("export interrupted: the file is incomplete", "rows", rows, "err", err)
			cw.Write([]string{exportIncomplete}) //nolint:errcheck // best effort: the abort below says it anyway
			cw.Flush()
			bw.Flush() //nolint:errcheck
		}
		// The error ends the body without its last chunk: fasthttp closes
		// the connection and the download fails.
		pw.CloseWithError(err)
	}()
	c.Context().SetBodyStream(pr, -1)
}
