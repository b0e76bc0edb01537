// Package adsync syncs audiences to ad platforms, once or on a schedule:
// Meta customer-file Custom Audiences (package meta), LINE Official Account
// audiences and LINE Ads custom audiences (package line).
//
// Data enters as schedules created over the HTTP API (Handler; the team
// always comes from teams.FromContext) and as audience snapshots: each run
// materializes its audience (queries/audience writes the members, with
// email and phone as SHA-256 of their normalized form, to audience_members)
// and reads the snapshot back page by page. It leaves as platform uploads
// and as history: schedules in adsync_schedules, runs in adsync_runs (a row
// when a run starts, newer versions as it progresses, a last one when it
// ends: start, end, size, sent, received, matched, invalid and samples,
// error), all read back with argMax.
//
// Runs:
//   - Full: the platform audience is replaced by the snapshot (Meta: one
//     /usersreplace session of batches of 10,000; LINE Ads: a REPLACE
//     upload; LINE: a new audience, since LINE cannot remove members).
//   - Incremental: only members added and removed since the last
//     successful run are sent (Meta adds and deletes; LINE and LINE Ads can
//     only add, so a run with removals is full). Without a successful run to
//     diff against, or when its snapshot expired (90 days), a run is full.
//   - An audience with no member is never uploaded (ErrEmptyAudience).
//   - Runs of the same audience wait for each other.
//   - A failed run (an expired token, a refused upload) is recorded with
//     its error and is never the base of an incremental run, so nothing is
//     claimed as synced that was not.
//
// Schedules (Scheduler, on github.com/go-co-op/gocron/v2): once at a time,
// or every N days, weeks or months from the first run, on the wall clock of
// the team's time zone (see Recurrence for month ends and DST). Upcoming
// runs can be listed and cancelled one by one, or the whole schedule
// cancelled. Schedules are stored, so a restarted process picks them up;
// a run missed while the process was down is made up once at start
// (Config.CatchUp), not once per missed occurrence.
//
// Process wiring: NewStore, NewRunner (with the audience store, the team
// store, a Credentials source and the meta and line clients), NewScheduler,
// then Scheduler.Run(ctx) in one process; mount NewHandler(...).Register on
// the API mux; pass the Store to audience.NewStore as its InUse so an
// audience a schedule uses cannot be archived.
package adsync
