package config

import (
	"errors"
	"strings"
	"testing"
)

func TestMailSettings(t *testing.T) {
	t.Run("no mail server by default", func(t *testing.T) {
		c, err := loadWith(nil)
		if err != nil || c.SMTPURL != nil || c.MailFrom != nil {
			t.Fatalf("%v %v %v", c.SMTPURL, c.MailFrom, err)
		}
	})

	t.Run("good", func(t *testing.T) {
		for _, raw := range []string{
			"smtp://user:pa%40ss@mail.example.com:587",
			"smtps://user:pass@mail.example.com:465",
			"smtp://127.0.0.1:25",
			"smtp://localhost",
			"smtps://mail.example.com/",
		} {
			c, err := loadWith(map[string]string{"ROSTER_SMTP_URL": raw, "ROSTER_MAIL_FROM": "Roster <no-reply@example.com>"})
			if err != nil {
				t.Errorf("%s: %v", raw, err)
				continue
			}
			if c.SMTPURL == nil || c.MailFrom.Name != "Roster" || c.MailFrom.Address != "no-reply@example.com" {
				t.Errorf("%s: %v %v", raw, c.SMTPURL, c.MailFrom)
			}
		}
	})

	t.Run("bad", func(t *testing.T) {
		for _, c := range []struct {
			env     map[string]string
			setting string
			reason  string
		}{
			{map[string]string{"ROSTER_SMTP_URL": "mail.example.com:587", "ROSTER_MAIL_FROM": "a@b.c"}, "ROSTER_SMTP_URL", "want smtp://"},
			{map[string]string{"ROSTER_SMTP_URL": "https://mail.example.com", "ROSTER_MAIL_FROM": "a@b.c"}, "ROSTER_SMTP_URL", "want smtp://"},
			{map[string]string{"ROSTER_SMTP_URL": "smtp://mail.example.com:99999", "ROSTER_MAIL_FROM": "a@b.c"}, "ROSTER_SMTP_URL", "port"},
			{map[string]string{"ROSTER_SMTP_URL": "smtp://mail.example.com/x?y=1", "ROSTER_MAIL_FROM": "a@b.c"}, "ROSTER_SMTP_URL", "no path"},
			{map[string]string{"ROSTER_SMTP_URL": "smtp://mail.example.com"}, "ROSTER_MAIL_FROM", "required"},
			{map[string]string{"ROSTER_MAIL_FROM": "not an address"}, "ROSTER_MAIL_FROM", "want an address"},
			{map[string]string{"ROSTER_MAIL_FROM": "Roster <no-reply@example.com>\r\nBcc: evil@x.test"}, "ROSTER_MAIL_FROM", "want an address"},
		} {
			_, err := loadWith(c.env)
			var se *SettingError
			if !errors.As(err, &se) || se.Name != c.setting || !strings.Contains(se.Reason, c.reason) {
				t.Errorf("%v: got %v, want %s: …%s…", c.env, err, c.setting, c.reason)
			}
		}
	})

	t.Run("the password is never shown", func(t *testing.T) {
		for _, raw := range []string{"smtp://user:hunter2@mail.example.com:0", "smtp://user:hunter2@[bad"} {
			_, err := loadWith(map[string]string{"ROSTER_SMTP_URL": raw, "ROSTER_MAIL_FROM": "a@b.c"})
			if err == nil || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s: %v", raw, err)
			}
		}
	})
}
