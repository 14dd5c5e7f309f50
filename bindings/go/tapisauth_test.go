package tapisauth

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests need a running tapis-auth-testserver: TAPIS_TEST_URL and a writable TAPIS_TEST_DIR
// (scripts/test-bindings.sh sets both).
func server(t *testing.T) (string, string) {
	url, dir := os.Getenv("TAPIS_TEST_URL"), os.Getenv("TAPIS_TEST_DIR")
	if url == "" || dir == "" {
		t.Skip("TAPIS_TEST_URL / TAPIS_TEST_DIR not set")
	}
	return url, dir
}

func TestVersionAndStatus(t *testing.T) {
	if v := Version(); v == "" || strings.Count(v, ".") != 2 {
		t.Fatalf("version %q", v)
	}
	if StatusLoginRequired.String() != "TAPIS_AUTH_ERR_LOGIN_REQUIRED" || !StatusRefreshRejected.IsLoginRequired() {
		t.Fatal("status helpers")
	}
	if !StatusConnect.IsNetwork() || StatusServer.IsNetwork() {
		t.Fatal("IsNetwork")
	}
}

func TestInvalidArgument(t *testing.T) {
	_, err := Restore(&Options{Platform: "v4"})
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusInvalidArgument || !strings.Contains(e.Message, "platform") {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("errors.Is")
	}
	_, err = Restore(&Options{Password: "bad\xffutf8"})
	if !errors.Is(err, ErrInvalidArgument) || strings.Contains(err.Error(), "utf8") {
		t.Fatalf("got %v", err)
	}
}

func TestRestoreWithoutCredentials(t *testing.T) {
	_, dir := server(t)
	_, err := Restore(&Options{StorePath: filepath.Join(dir, "go-empty"), NoEnvironment: true})
	if !IsLoginRequired(err) || !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("got %v", err)
	}
}

func TestLoginTokensGoroutines(t *testing.T) {
	url, dir := server(t)
	store := filepath.Join(dir, "go-main")
	s, err := Open(&Options{BaseURL: url, Username: "testuser", Password: "testpass", Persist: true,
		StorePath: store, NoEnvironment: true, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.LoginPassword(true); err != nil {
		t.Fatal(err)
	}
	tok, err := s.AccessToken(60)
	if err != nil || len(tok) < 20 {
		t.Fatalf("token %d bytes, %v", len(tok), err)
	}
	exp, err := s.ExpiresAt()
	if err != nil || time.Until(exp) < time.Minute {
		t.Fatalf("expiry %v %v", exp, err)
	}
	w, err := s.WhoAmI()
	if err != nil || w.Username != "testuser" || w.Platform != "tapis-v3" || w.ClientID == "" || !w.HasRefreshToken {
		t.Fatalf("whoami %+v %v", w, err)
	}
	pr, err := s.Profile()
	if err != nil || pr.Username != "testuser" || pr.Email != "testuser@example.org" {
		t.Fatalf("profile %+v %v", pr, err)
	}
	if err := s.Refresh(); err != nil {
		t.Fatal(err)
	}
	id, _, err := s.CreateClient("", "", "go test client")
	if err != nil || id == "" {
		t.Fatalf("client %q %v", id, err)
	}

	// 16 goroutines share the session; runtime.Gosched moves them between OS threads.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				tok, err := s.AccessToken(30)
				if err != nil || len(tok) < 20 {
					errs <- err
					return
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("goroutine: %v", err)
	}

	// Restore from the same store, made readable by others first: reported once.
	if err := os.Chmod(filepath.Join(store, "config.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := Restore(&Options{StorePath: store, NoEnvironment: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.AccessToken(0); err != nil {
		t.Fatal(err)
	}
	if w, err := s2.TakeWarnings(); err != nil || len(w) != 1 || !strings.Contains(w[0], "644") {
		t.Fatalf("warnings %q %v", w, err)
	}
	if w, err := s2.TakeWarnings(); err != nil || w != nil {
		t.Fatalf("warnings again %q %v", w, err)
	}
	s2.Close()
	s2.Close() // idempotent
	if _, err := s2.AccessToken(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}

	deleted, err := s.Logout()
	if err != nil || !deleted {
		t.Fatalf("logout %v %v", deleted, err)
	}
	if _, err := s.AccessToken(0); !IsLoginRequired(err) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestFinalizer(t *testing.T) {
	_, dir := server(t)
	for i := 0; i < 50; i++ {
		if _, err := Open(&Options{StorePath: filepath.Join(dir, "go-fin"), NoEnvironment: true}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.GC()
}
