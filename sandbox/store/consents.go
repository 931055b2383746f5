package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/inviso/inviso/connectors"
	"github.com/inviso/inviso/sandbox/catalog"
	"github.com/inviso/inviso/sandbox/duck"
	"github.com/inviso/inviso/sandbox/fault"
)

// ConsentTable is the table of a consent registry file.
const ConsentTable = "consents"

// consentSchema is the CSV a source agency uploads: subject,purpose,valid_until.
var consentSchema = []connectors.Column{
	{Name: "subject", Type: "VARCHAR"}, {Name: "purpose", Type: "VARCHAR"}, {Name: "valid_until", Type: "TIMESTAMPTZ"},
}

// ImportConsents loads a CSV of data subjects' authorizations (subject,purpose,valid_until) as
// the dataset's next consent registry. Subjects are identifiers, so the registry lives here in
// the domain store like a dataset version, never in the catalog.
func (s *Store) ImportConsents(ctx context.Context, d catalog.Dataset, body io.Reader, actor string) (catalog.ConsentSet, error) {
	loader, ok := s.opt.Loaders[connectors.CSV]
	if !ok {
		return catalog.ConsentSet{}, fmt.Errorf("consents %s: no CSV loader", d.Name)
	}
	work, err := os.MkdirTemp(s.opt.Staging, "consents-")
	if err != nil {
		return catalog.ConsentSet{}, err
	}
	defer os.RemoveAll(work)
	upload := filepath.Join(work, "upload.csv")
	digest, size, err := receive(upload, body)
	if err != nil {
		return catalog.ConsentSet{}, err
	}
	if size == 0 {
		return catalog.ConsentSet{}, inputFault(&connectors.InputError{Format: connectors.CSV, Kind: connectors.KindEmpty, Detail: "the upload has no bytes"})
	}
	built := filepath.Join(work, "consents.duckdb")
	cfg := s.opt.DuckDB
	cfg.ReadOnly, cfg.AllowedPaths = false, []string{upload}
	db, err := duck.Open(ctx, built, cfg)
	if err != nil {
		return catalog.ConsentSet{}, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return catalog.ConsentSet{}, err
	}
	var rows, subjects, blank int64
	err = func() error {
		if err := loader.Load(ctx, conn, upload, ConsentTable, consentSchema); err != nil {
			var ie *connectors.InputError
			if errors.As(err, &ie) {
				return inputFault(ie)
			}
			return err
		}
		if err := conn.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT subject),
			count(*) FILTER (WHERE subject IS NULL OR purpose IS NULL OR valid_until IS NULL OR trim(subject) = '' OR trim(purpose) = '')
			FROM `+ConsentTable).Scan(&rows, &subjects, &blank); err != nil {
			return err
		}
		if blank > 0 {
			return fault.E(fault.InvalidInput, "%d consent row(s) lack a subject, a purpose or a valid_until; every field is required", blank)
		}
		_, err := conn.ExecContext(ctx, "CHECKPOINT")
		return err
	}()
	conn.Close()
	db.Close()
	if err != nil {
		return catalog.ConsentSet{}, err
	}
	rel := filepath.ToSlash(filepath.Join(d.Agency, d.Name, "consents-"+randomName()+".duckdb"))
	final := filepath.Join(s.opt.Root, filepath.FromSlash(rel))
	if err := duck.Publish(built, final); err != nil {
		return catalog.ConsentSet{}, err
	}
	cs, err := s.opt.Catalog.AddConsents(ctx, catalog.ConsentSet{Dataset: d.Name, Rows: rows, Subjects: subjects, Digest: digest, SetBy: actor, File: rel})
	if err != nil {
		os.Remove(final)
		return catalog.ConsentSet{}, err
	}
	s.log.Info("consents imported", "dataset", d.Name, "version", cs.Version, "rows", rows, "subjects", subjects, "actor", actor)
	return cs, nil
}

// ConsentPath is the absolute path of a consent registry file, for trusted readers.
func (s *Store) ConsentPath(cs catalog.ConsentSet) string {
	return filepath.Join(s.opt.Root, filepath.FromSlash(cs.File))
}
