package handlers

import (
	"crypto/md5" //nolint:gosec // MD5 is shown beside SHA-256 because the bureau's old pages printed it (Q2)
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// Download is one card agent installer offered on 環境說明.
type Download struct {
	Name   string
	OS     string // Windows, macOS, Linux
	Size   int64
	SHA256 string
	MD5    string
}

// EnvironmentView is the model of the 環境說明 page.
type EnvironmentView struct {
	Page
	Downloads []Download
	// Latest is the version of the installers (the manifest's), empty
	// without a manifest: the self-test tells an older agent to update.
	Latest string
	// Notes say why an OS has no installer, or what it has instead.
	Notes []DownloadNote
}

// DownloadNote is one of the manifest's notes, e.g. why there is no MSI.
type DownloadNote struct {
	OS   string `json:"os"`
	Text string `json:"text"`
}

// manifestName is the file scripts/dist writes beside the installers.
const manifestName = "manifest.json"

// agentManifest is scripts/dist's manifest.json.
type agentManifest struct {
	Version string `json:"version"`
	Files   []struct {
		Name   string `json:"name"`
		OS     string `json:"os"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
		MD5    string `json:"md5"`
	} `json:"files"`
	Notes []DownloadNote `json:"notes"`
}

type digestKey struct {
	path  string
	size  int64
	mtime time.Time
}

var digests sync.Map // digestKey → [2]string{sha256, md5}

// fileDigests computes a file's SHA-256 and MD5 once per version of the file.
func fileDigests(path string, fi os.FileInfo) (string, string, error) {
	k := digestKey{path, fi.Size(), fi.ModTime()}
	if v, ok := digests.Load(k); ok {
		d := v.([2]string)
		return d[0], d[1], nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sh, m := sha256.New(), md5.New() //nolint:gosec // see import
	if _, err := io.Copy(io.MultiWriter(sh, m), f); err != nil {
		return "", "", err
	}
	d := [2]string{hex.EncodeToString(sh.Sum(nil)), strings.ToUpper(hex.EncodeToString(m.Sum(nil)))}
	digests.Store(k, d)
	return d[0], d[1], nil
}

func osOf(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".exe") || strings.HasSuffix(n, ".msi") || strings.Contains(n, "windows"):
		return "Windows"
	case strings.HasSuffix(n, ".pkg") || strings.HasSuffix(n, ".dmg") || strings.Contains(n, "darwin") || strings.Contains(n, "mac"):
		return "macOS"
	default:
		return "Linux"
	}
}

// readManifest reads the downloads directory's manifest.json; nil when
// there is none.
func (s *Server) readManifest() (*agentManifest, error) {
	b, err := os.ReadFile(filepath.Join(s.Downloads, manifestName))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m agentManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("handlers: %s: %w", manifestName, err)
	}
	return &m, nil
}

// downloads lists the installers: the manifest's files that are present
// (with the manifest's hashes) when there is a manifest, else every file in
// the downloads directory. A missing directory is an empty list.
func (s *Server) downloads() ([]Download, *agentManifest, error) {
	if s.Downloads == "" {
		return nil, nil, nil
	}
	m, err := s.readManifest()
	if err != nil {
		// A broken manifest must not take 環境說明 down: list the directory.
		s.Log.Warn("agent downloads: manifest unreadable, listing the directory", "err", err)
	}
	if err == nil && m != nil {
		var out []Download
		for _, f := range m.Files {
			if f.Name != filepath.Base(f.Name) || strings.HasPrefix(f.Name, ".") {
				continue // never a path
			}
			// A file missing, or not the one the manifest describes (replaced
			// since), is not offered with the manifest's hashes.
			if fi, err := os.Stat(filepath.Join(s.Downloads, f.Name)); err != nil || !fi.Mode().IsRegular() || fi.Size() != f.Size {
				continue
			}
			out = append(out, Download{Name: f.Name, OS: f.OS, Size: f.Size, SHA256: strings.ToLower(f.SHA256), MD5: strings.ToUpper(f.MD5)})
		}
		return out, m, nil
	}
	ds, err := s.listDownloads()
	return ds, nil, err
}

// listDownloads lists every installer in the downloads directory with
// hashes computed here.
func (s *Server) listDownloads() ([]Download, error) {
	entries, err := os.ReadDir(s.Downloads)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Download
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") || e.Name() == manifestName {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		sum, m, err := fileDigests(filepath.Join(s.Downloads, e.Name()), fi)
		if err != nil {
			return nil, err
		}
		out = append(out, Download{Name: e.Name(), OS: osOf(e.Name()), Size: fi.Size(), SHA256: sum, MD5: m})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OS+out[i].Name < out[j].OS+out[j].Name })
	return out, nil
}

// showEnvironment shows 環境說明: installers with checksums, install notes,
// the live self-test, and help for forgotten PINs and locked cards.
func (s *Server) showEnvironment(c *fiber.Ctx) error {
	ds, m, err := s.downloads()
	if err != nil {
		return err
	}
	v := EnvironmentView{Page: s.agentPage(c, "環境說明", "environment"), Downloads: ds}
	if m != nil {
		v.Latest, v.Notes = m.Version, m.Notes
	}
	return s.render(c, fiber.StatusOK, "environment", v)
}

// downloadInstaller sends one installer. The name must be a listed file:
// never a path.
func (s *Server) downloadInstaller(c *fiber.Ctx) error {
	name := c.Params("name")
	ds, _, err := s.downloads()
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.Name == name {
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+strings.ReplaceAll(d.Name, `"`, "")+`"`)
			c.Set(fiber.HeaderContentType, "application/octet-stream")
			c.Set("X-Content-Type-Options", "nosniff")
			return c.SendFile(filepath.Join(s.Downloads, d.Name), false)
		}
	}
	return apperr.New(apperr.NotFound, "找不到這個安裝檔。")
}
