// Package duck opens DuckDB instances the way every part of inviso must: limits first, then the
// paths the instance may touch, then external access off, then the configuration locked.
//
// # Why one place
//
// DuckDB's settings are instance-wide and, once lock_configuration is on, nothing in SQL can
// undo them. The order matters (allowed paths must be set before external access is disabled),
// and getting it wrong silently leaves files, the network or extension installs reachable. So
// no package opens DuckDB with sql.Open itself: it calls Open here, and Open verifies the lock
// took effect before handing the instance out. If it cannot, it refuses (fail closed).
//
// Publish is the one way a finished database file (a dataset version, a consent registry, a
// grant's workspace) becomes visible: private, fsynced, renamed atomically, directory fsynced.
//
// # What it must never do
//
// This package never decides what data an instance holds. Callers choose the file; the raw
// domain store and a grant's workspace are never opened in the same instance.
package duck
