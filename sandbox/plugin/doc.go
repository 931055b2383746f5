// Package plugin runs plugin jobs: a developer's compiled Go program, pinned by its SHA-256
// digest, runs next to the data, isolated, over the desensitized rows of an approved input
// query, and returns output rows. This package owns the binary store, the isolation of the
// child process, the Arrow streams to and from it, and the checks on its output. It never
// releases anything: the caller loads the output into a job table and only a gated aggregate
// of it leaves (package sandbox).
//
// # Binaries
//
// Store keeps uploaded binaries content-addressed ("sha256:…") in a 0700 directory, files
// 0500, written atomically. Uploads must be statically linked ELF executables for this
// machine (CGO_ENABLED=0): the plugin runs in an empty root where no dynamic loader exists.
//
// # Running
//
// Runner.Run refuses a digest the grant does not approve (ErrNotApproved), copies the stored
// binary into an empty per-job directory, verifies the copy with go-plugin's SecureConfig
// (ErrDigestMismatch), and starts it through go-plugin over gRPC with AutoMTLS, the host
// environment withheld, and only the gRPC protocol allowed. Input batches get a "__row"
// column of opaque handles: a keyed 64-bit permutation of the row's position, with a fresh
// key per job (RunResult.HandleKey; pass it back in RunSpec.HandleKey to replay a job with the
// same handles). Every output message and batch is checked before it is kept, because Arrow's
// readers trust their input and a plugin is not to be trusted: the flatbuffer metadata
// (contract.VerifyMetadata: a forged length would make Arrow allocate without bound), schema
// and types (contract.CheckOutputSchema), buffer sizes, null counts, string offsets and UTF-8,
// and every handle must be one already issued. Arrow allocations on the output path go
// through a budget (Limits.OutputBytes). In the result, "__row" is replaced by InputRowColumn,
// the position of the input row (0-based, in the order Input yielded the rows), so the caller
// can join output to input. Output is kept in RunResult.Batches, or handed batch by batch to
// RunSpec.Sink.
//
// # Isolation (Linux, host running as root)
//
// The child is started by the Runner itself (go-plugin's RunnerFunc) with:
//   - new user, network, mount, PID, IPC and UTS namespaces: no network (only a down
//     loopback), no abstract unix sockets of the host, and the plugin is PID 1 of its own PID
//     namespace, so when it dies the kernel kills every process it started. The user
//     namespace is owned by the server's root and maps only the job's uid (to itself): the
//     plugin holds no capability in it, the server holds all, including CAP_SYS_RESOURCE,
//     which prlimit on another uid's process needs and which containers often withhold
//     (where the server has it, Probe also accepts a setup without a user namespace);
//   - chroot into the per-job directory, which holds only the binary (root-owned, 0555) and
//     the go-plugin socket directory; that directory is handed back to root once the plugin
//     has bound its socket, so the plugin has nothing writable left;
//   - a per-job unprivileged uid/gid (WithUIDs; no supplementary groups), so process counts
//     and signals do not mix between jobs;
//   - stdin on /dev/null, stdout and stderr on pipes, no other descriptors, and only
//     go-plugin's variables plus GOMAXPROCS in the environment;
//   - rlimits (address space, CPU seconds, open files, processes/threads, file size, and no
//     core dumps, which would hold rows) set with prlimit while the child is stopped at its exec by ptrace, before its first instruction
//     (if ptrace is unavailable: immediately after the exec, a window of microseconds that
//     Isolation.EarlyLimits reports);
//   - its own process group, and a wall-clock deadline that kills the group and the PID
//     namespace; Run returns only once no process of the job's uid is left.
//
// Probe reports whether this works on the host. If it does not, Run refuses with
// ErrIsolationUnavailable unless RunSpec.InsecureDev is set, in which case the plugin runs as a
// plain child (own process group, parent-death signal, rlimits, no namespaces, no chroot, same
// user) and every such run is logged at error level.
//
// The copy of the binary is what is executed, checked with go-plugin's SecureConfig by the
// runner immediately before the exec (go-plugin itself can only check ClientConfig.Cmd, which
// a RunnerFunc replaces). The plugin's handshake address must be a socket in its socket
// directory: the host dials nothing else.
//
// Not covered: seccomp filtering of system calls, cgroup memory/CPU accounting (RLIMIT_AS
// bounds virtual memory, not resident memory, and concurrency is bounded by the uid slots),
// timing side channels, and go-plugin's broker stream, which the host starts and a plugin can
// fill with messages until the deadline. A parent-death signal is not set for isolated
// plugins: Go's implementation kills a child started in a new PID namespace (its parent pid
// reads 0); NewRunner instead kills leftovers of the uid range from a previous host process.
//
// # Errors
//
// Errors wrap the sentinels in errors.go and never contain text the plugin controls; that
// text (its stderr and stdout, capped, and its error status) is in RunResult.Stats for the
// operator and auditor, never for the developer.
package plugin
