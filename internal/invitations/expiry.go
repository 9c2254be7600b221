package invitations

import (
	"context"
	"log/slog"
	"time"

	"roster/internal/audit"
	"roster/internal/clock"
	"roster/internal/model"
	"roster/internal/store"
)

// ExpiryJob keeps INVITE_EXPIRED true in the database: pages already show
// an invitation past its expiry as expired when they read it, and this job
// writes it down, so filters, counts and the API's lists agree. Any number
// of replicas may run it: each batch skips rows another one holds.
type ExpiryJob struct {
	store *store.Store
	clock clock.Clock
	log   *slog.Logger
	opts  ExpiryOptions
}

// ExpiryOptions tune the job; zero values take the defaults.
type ExpiryOptions struct {
	// Batch is how many invitations one transaction marks. Default 500.
	Batch int
	// Every is the pause between rounds. Default one minute.
	Every time.Duration
	// KeepTombstones is how long a deleted link is still recognised as
	// revoked or used. Default 90 days, the longest invitation expiry.
	KeepTombstones time.Duration
}

// NewExpiryJob returns the job on st, reading the time from clk.
func NewExpiryJob(st *store.Store, clk clock.Clock, log *slog.Logger, opts ExpiryOptions) *ExpiryJob {
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.Every <= 0 {
		opts.Every = time.Minute
	}
	if opts.KeepTombstones <= 0 {
		opts.KeepTombstones = 90 * 24 * time.Hour
	}
	if log == nil {
		log = slog.Default()
	}
	return &ExpiryJob{store: st, clock: clk, log: log, opts: opts}
}

// RunOnce marks every invitation now past its expiry INVITE_EXPIRED, one
// batch per transaction, each with its audit events, and forgets old
// tombstones. It returns how many it marked. Tests call it after moving
// the fake clock.
func (j *ExpiryJob) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		n, err := j.batch(ctx)
		total += n
		if err != nil || n < j.opts.Batch {
			if err == nil {
				_, err = j.store.ForgetInvitationTombstones(ctx, j.opts.KeepTombstones)
			}
			return total, err
		}
	}
	return total, ctx.Err()
}

func (j *ExpiryJob) batch(ctx context.Context) (int, error) {
	n := 0
	err := j.store.InTx(ctx, func(tx *store.Store) error {
		done, err := tx.ExpireInvitations(ctx, j.clock.Now(), j.opts.Batch)
		if err != nil {
			return err
		}
		n = len(done)
		for _, e := range done {
			if err := audit.Record(ctx, tx, j.clock, audit.Event{
				Action: "invitation.expired", OrgID: e.OrganizationID, UserID: e.UserID,
				TargetType: "membership", TargetID: e.MembershipID,
				Changes: model.JSONObject{"status": model.StatusInviteExpired, "expires_at": e.InviteExpiresAt},
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Run runs rounds until ctx is cancelled.
func (j *ExpiryJob) Run(ctx context.Context) {
	for {
		n, err := j.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			j.log.Error("marking expired invitations", "err", err)
		case n > 0:
			j.log.Info("invitations expired", "count", n)
		}
		timer := time.NewTimer(j.opts.Every)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}
