use super::*;
use crate::vocab::{Kind, Role};
use sha2::{Digest as _, Sha256};
use std::io::Write;
use tempfile::TempDir;

/// A repository in a fresh temp dir, plus a second dir for source images.
struct Fixture {
    _root: TempDir,
    repo_dir: PathBuf,
    src_dir: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let root = tempfile::tempdir().unwrap();
        let repo_dir = root.path().join("repo");
        let src_dir = root.path().join("src");
        fs::create_dir(&src_dir).unwrap();
        Fixture {
            _root: root,
            repo_dir,
            src_dir,
        }
    }

    fn image(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.src_dir.join(name);
        fs::write(&p, bytes).unwrap();
        p
    }

    fn repo(&self) -> Repository {
        Repository::create_or_open(&self.repo_dir).unwrap()
    }

    /// Temp files left in the repository directory (there should be none).
    fn leftovers(&self) -> Vec<String> {
        fs::read_dir(&self.repo_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(files::TEMP_MARKER))
            .collect()
    }
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn bios_spec() -> AddSpec {
    AddSpec {
        models: vec!["PowerEdge R7*".into()],
        manufacturers: vec!["Dell*".into()],
        ..AddSpec::new(Kind::Bios, "2.19.1")
    }
}

#[test]
fn add_then_list_then_verify_is_clean() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    assert!(repo.list().is_empty());
    let src = fx.image("BIOS_2.19.1.bin", b"bios image bytes");

    let added = repo.add(&src, bios_spec()).unwrap().clone();
    assert_eq!(added.file, "BIOS_2.19.1.bin");
    assert_eq!(added.sha256, sha_hex(b"bios image bytes"));
    assert_eq!(added.size, 16);
    assert_eq!(repo.list().len(), 1);
    assert_eq!(fs::read(repo.path_of(&added)).unwrap(), b"bios image bytes");
    assert_eq!(repo.verify(), vec![]);
    assert!(fx.leftovers().is_empty());

    // The manifest on disk says the same.
    let reopened = Repository::open(&fx.repo_dir).unwrap();
    assert_eq!(reopened.list().len(), 1);
    let e = &reopened.list()[0];
    assert_eq!(
        (e.file.as_str(), e.sha256.as_str(), e.size),
        ("BIOS_2.19.1.bin", added.sha256.as_str(), 16)
    );
    assert_eq!(e.models, ["PowerEdge R7*"]);
    assert_eq!(reopened.verify(), vec![]);
}

#[test]
fn every_field_survives_a_manifest_round_trip() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let spec = AddSpec {
        software_id: Some("159".into()),
        match_regex: Some("^BIOS$".into()),
        version_scheme: Some(crate::version::VersionScheme::DotIntegerNotation),
        min_from_version: Some("2.10.0".into()),
        method: Some(Method::Multipart),
        apply_time: Some(ApplyTime::OnStartUpdateRequest),
        allow_downgrade: true,
        prerequisites: vec![Prerequisite {
            kind: Kind::Bmc,
            min_version: "7.00.00.00".into(),
        }],
        notes: Some("needs \"iDRAC\" 7\nsecond line".into()),
        software_ids: vec!["159".into(), "104298".into()],
        pci_ids: vec!["14E4:165F:1028:08FF".parse().unwrap()],
        system_ids: vec!["0716".into()],
        criticality: Some(crate::repository::Criticality::Urgent),
        reboot_required: Some(true),
        disruption: Some(crate::vocab::Disruption::PowerCycle),
        release_date: Some("2024-05-27".into()),
        source: Some("dell:Catalog.xml version 25.04.28".into()),
        needs_vendor_tool: Some("Uefi-only".into()),
        vendor_hash: Some((crate::repository::HashKind::Sha256, sha_hex(b"x"))),
        ..bios_spec()
    };
    repo.add(&fx.image("b.bin", b"x"), spec.clone()).unwrap();
    let text = fs::read_to_string(repo.manifest_path()).unwrap();
    let reopened = Repository::open(&fx.repo_dir).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let e = &reopened.list()[0];
    let back = AddSpec {
        kind: e.kind,
        version: e.version.clone(),
        models: e.models.clone(),
        manufacturers: e.manufacturers.clone(),
        software_id: e.software_id.clone(),
        match_regex: e.match_regex.clone(),
        version_scheme: e.version_scheme,
        min_from_version: e.min_from_version.clone(),
        method: e.method,
        apply_time: e.apply_time,
        allow_downgrade: e.allow_downgrade,
        prerequisites: e.prerequisites.clone(),
        notes: e.notes.clone(),
        software_ids: e.software_ids.clone(),
        pci_ids: e.pci_ids.clone(),
        system_ids: e.system_ids.clone(),
        criticality: e.criticality,
        reboot_required: e.reboot_required,
        disruption: e.disruption,
        release_date: e.release_date.clone(),
        source: e.source.clone(),
        needs_vendor_tool: e.needs_vendor_tool.clone(),
        vendor_hash: e.vendor_hash_kind.zip(e.vendor_hash.clone()),
        signature_src: None,
    };
    assert_eq!(back, spec, "{text}");
    assert!(text.contains("method = \"multipart\""), "{text}");
    assert!(text.contains("disruption = \"power-cycle\""), "{text}");
    assert!(
        text.contains("apply_time = \"OnStartUpdateRequest\""),
        "{text}"
    );
    assert!(text.contains("version_scheme = \"dotted\""), "{text}");
}

#[test]
fn verify_reports_a_changed_byte_as_a_hash_mismatch() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let entry = repo
        .add(&fx.image("a.bin", b"good image"), bios_spec())
        .unwrap()
        .clone();
    fs::write(repo.path_of(&entry), b"evil image").unwrap();

    let problems = repo.verify();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].file, "a.bin");
    assert_eq!(
        problems[0].kind,
        ProblemKind::HashMismatch {
            expected: sha_hex(b"good image"),
            actual: sha_hex(b"evil image"),
        }
    );
    let msg = problems[0].to_string();
    assert!(
        msg.contains("a.bin") && msg.contains(&sha_hex(b"good image")),
        "{msg}"
    );
}

#[test]
fn verify_reports_a_truncated_file_as_a_size_mismatch() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let entry = repo
        .add(&fx.image("a.bin", b"0123456789"), bios_spec())
        .unwrap()
        .clone();
    fs::write(repo.path_of(&entry), b"01234").unwrap();
    let problems = repo.verify();
    assert_eq!(
        problems[0].kind,
        ProblemKind::SizeMismatch {
            expected: 10,
            actual: 5
        }
    );
}

#[test]
fn verify_reports_a_deleted_file_as_missing() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let a = repo
        .add(&fx.image("a.bin", b"aaa"), bios_spec())
        .unwrap()
        .clone();
    repo.add(&fx.image("b.bin", b"bbb"), bios_spec()).unwrap();
    fs::remove_file(repo.path_of(&a)).unwrap();

    let problems = repo.verify();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].file, "a.bin");
    assert_eq!(problems[0].kind, ProblemKind::Missing);
    assert_eq!(problems[0].path, fx.repo_dir.join("a.bin"));
    assert!(problems[0].to_string().contains("missing"));
}

#[test]
fn remove_drops_the_entry_and_the_file() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let a = repo
        .add(&fx.image("a.bin", b"aaa"), bios_spec())
        .unwrap()
        .clone();
    repo.add(&fx.image("b.bin", b"bbb"), bios_spec()).unwrap();

    let removed = repo.remove("a.bin").unwrap();
    assert_eq!(removed.file, "a.bin");
    assert!(!repo.path_of(&a).exists());
    assert_eq!(repo.list().len(), 1);
    let reopened = Repository::open(&fx.repo_dir).unwrap();
    assert_eq!(reopened.list()[0].file, "b.bin");

    let err = repo.remove("a.bin").unwrap_err();
    assert!(matches!(err, RepoError::NoSuchEntry { .. }), "{err}");
    assert!(err.to_string().contains("a.bin"), "{err}");
}

#[test]
fn remove_by_file_name_finds_an_image_in_a_subdirectory() {
    let fx = Fixture::new();
    fs::create_dir_all(fx.repo_dir.join("dell")).unwrap();
    fs::write(fx.repo_dir.join("dell/x.bin"), b"x").unwrap();
    fs::write(
        fx.repo_dir.join(MANIFEST),
        entry_toml("./dell/x.bin", "kind = \"bios\""),
    )
    .unwrap();
    let mut repo = Repository::open(&fx.repo_dir).unwrap();
    assert_eq!(repo.list()[0].file, "dell/x.bin");
    assert_eq!(repo.remove("x.bin").unwrap().file, "dell/x.bin");
    assert!(!fx.repo_dir.join("dell/x.bin").exists());
}

#[test]
fn adding_the_same_bytes_twice_names_the_existing_entry() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    repo.add(&fx.image("first.bin", b"same"), bios_spec())
        .unwrap();
    let err = repo
        .add(&fx.image("second.bin", b"same"), bios_spec())
        .unwrap_err();
    assert!(matches!(err, RepoError::AlreadyPresent { .. }), "{err}");
    assert!(err.to_string().contains("`first.bin`"), "{err}");
    // Also under the same name.
    let err = repo
        .add(&fx.image("first.bin", b"same"), bios_spec())
        .unwrap_err();
    assert!(matches!(err, RepoError::AlreadyPresent { .. }), "{err}");
    assert_eq!(repo.list().len(), 1);
    assert!(!fx.repo_dir.join("second.bin").exists());
    assert!(fx.leftovers().is_empty(), "{:?}", fx.leftovers());
}

#[test]
fn a_different_image_with_a_taken_name_is_refused() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let src = fx.image("a.bin", b"version one");
    repo.add(&src, bios_spec()).unwrap();
    fs::write(&src, b"version two").unwrap();
    let err = repo.add(&src, bios_spec()).unwrap_err();
    assert!(matches!(err, RepoError::NameTaken { .. }), "{err}");
    assert_eq!(fs::read(fx.repo_dir.join("a.bin")).unwrap(), b"version one");

    // A stray file not in the manifest is not overwritten either ...
    fs::write(fx.repo_dir.join("stray.bin"), b"operator's file").unwrap();
    let err = repo
        .add(&fx.image("stray.bin", b"other bytes"), bios_spec())
        .unwrap_err();
    assert!(matches!(err, RepoError::NameTaken { .. }), "{err}");
    assert_eq!(
        fs::read(fx.repo_dir.join("stray.bin")).unwrap(),
        b"operator's file"
    );
    // ... but holding the very same bytes it is adopted.
    repo.add(&fx.image("stray.bin", b"operator's file"), bios_spec())
        .unwrap();
    assert_eq!(repo.list().len(), 2);
    assert!(fx.leftovers().is_empty(), "{:?}", fx.leftovers());
}

#[test]
fn a_bad_spec_is_refused_before_anything_is_copied() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let src = fx.image("a.bin", b"a");
    let cases: Vec<(AddSpec, &str)> = vec![
        (
            AddSpec {
                models: vec!["R[7".into()],
                ..bios_spec()
            },
            "models[0]",
        ),
        (
            AddSpec {
                match_regex: Some("(".into()),
                ..bios_spec()
            },
            "match",
        ),
        (AddSpec::new(Kind::Bios, "N/A"), "version"),
        (
            AddSpec {
                prerequisites: vec![Prerequisite {
                    kind: Kind::Bios,
                    min_version: "1.0".into(),
                }],
                ..bios_spec()
            },
            "prerequisites[0].kind",
        ),
    ];
    for (spec, key) in cases {
        let err = repo.add(&src, spec).unwrap_err();
        assert!(matches!(err, RepoError::InvalidSpec { .. }), "{err}");
        assert!(
            err.to_string().contains(&format!("`{key}`")),
            "{key}: {err}"
        );
    }
    assert!(!fx.repo_dir.join("a.bin").exists());
    assert!(repo.list().is_empty());
}

#[test]
fn open_without_a_manifest_says_where_it_looked() {
    let fx = Fixture::new();
    let err = Repository::open(&fx.repo_dir).unwrap_err();
    assert!(matches!(err, RepoError::NoManifest { .. }), "{err}");
    assert!(err.to_string().contains(MANIFEST), "{err}");
    // create_or_open makes an empty, valid one.
    assert!(fx.repo().list().is_empty());
    assert!(Repository::open(&fx.repo_dir).unwrap().list().is_empty());
}

#[test]
fn a_64_mib_image_is_streamed_in() {
    let fx = Fixture::new();
    let src = fx.src_dir.join("big.bin");
    let mut hasher = Sha256::new();
    {
        let mut out = std::io::BufWriter::new(File::create(&src).unwrap());
        let mut chunk = vec![0u8; 1 << 20];
        for i in 0..64u32 {
            for (j, b) in chunk.iter_mut().enumerate() {
                *b = (i as usize * 31 + j * 7) as u8;
            }
            hasher.update(&chunk);
            out.write_all(&chunk).unwrap();
        }
    }
    let mut repo = fx.repo();
    let e = repo.add(&src, bios_spec()).unwrap();
    assert_eq!(e.size, 64 << 20);
    assert_eq!(e.sha256, hex::encode(hasher.finalize()));
    assert_eq!(repo.verify(), vec![]);
}

// ---- bad manifests -------------------------------------------------------

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// One `[[images]]` table for `file` with `extra` lines after the required
/// keys (which take lines 1–6).
fn entry_toml(file: &str, extra: &str) -> String {
    let kind = if extra.lines().any(|l| l.starts_with("kind =")) {
        ""
    } else {
        "kind = \"bios\"\n"
    };
    format!(
        "[[images]]\nfile = \"{file}\"\nsha256 = \"{SHA}\"\nsize = 1\nversion = \"1.0\"\n{kind}{extra}\n"
    )
}

/// Opens `text` as a manifest and checks the error names the manifest path,
/// `line N` and every one of `needles`.
fn check_bad(text: &str, line: usize, needles: &[&str]) {
    let fx = Fixture::new();
    fs::create_dir_all(&fx.repo_dir).unwrap();
    let manifest = fx.repo_dir.join(MANIFEST);
    fs::write(&manifest, text).unwrap();
    let err = match Repository::open(&fx.repo_dir) {
        Ok(_) => panic!("accepted a bad manifest:\n{text}"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(matches!(err, RepoError::Manifest(_)), "{msg}");
    assert!(
        msg.contains(&manifest.display().to_string()),
        "no path: {msg}"
    );
    assert!(
        msg.contains(&format!("line {line},")) || msg.contains(&format!("line {line}:")),
        "want line {line}: {msg}\n{text}"
    );
    for n in needles {
        assert!(msg.contains(n), "want {n:?}: {msg}\n{text}");
    }
}

#[test]
fn a_toml_syntax_error_names_the_line() {
    check_bad(
        "[[images]]\nfile = \"a.bin\nsize = 1\n",
        2,
        &["images[0].file"],
    );
    check_bad(
        &format!("{}[[images]]\nfile = = 1\n", entry_toml("a.bin", "")),
        9,
        &["images[1]"],
    );
}

#[test]
fn an_unknown_key_names_the_line_and_the_key() {
    check_bad(
        &entry_toml("a.bin", "colour = \"red\""),
        7,
        &["images[0].colour"],
    );
    // In the second entry.
    let text = format!(
        "{}{}",
        entry_toml("a.bin", ""),
        entry_toml("b.bin", "min_from_verison = \"1.0\"")
    );
    check_bad(&text, 14, &["images[1].min_from_verison"]);
    // At the top level.
    check_bad("imagez = []\n", 1, &["imagez"]);
    // Inside a prerequisite.
    check_bad(
        &entry_toml(
            "a.bin",
            "prerequisites = [{ kind = \"bmc\", min_ver = \"1\" }]",
        ),
        7,
        &["images[0].prerequisites", "min_ver"],
    );
}

#[test]
fn a_missing_key_names_the_key() {
    let text = "[[images]]\nfile = \"a.bin\"\nsize = 1\nkind = \"bios\"\nversion = \"1\"\n";
    let fx = Fixture::new();
    fs::create_dir_all(&fx.repo_dir).unwrap();
    fs::write(fx.repo_dir.join(MANIFEST), text).unwrap();
    let msg = Repository::open(&fx.repo_dir).unwrap_err().to_string();
    assert!(
        msg.contains("images[0].sha256") && msg.contains("line 1"),
        "{msg}"
    );
}

#[test]
fn semantic_errors_name_the_line_and_the_key() {
    let cases: &[(&str, usize, &[&str])] = &[
        (
            "kind = \"bois\"",
            6,
            &["images[0].kind", "bois", "bios, bmc"],
        ),
        (
            "match = \"(unclosed\"",
            7,
            &["images[0].match", "unclosed group"],
        ),
        (
            "models = [\"R750\", \"R[7\"]",
            7,
            &["images[0].models[1]", "glob"],
        ),
        ("manufacturers = [\"\"]", 7, &["images[0].manufacturers[0]"]),
        (
            "version_scheme = \"roman\"",
            7,
            &["images[0].version_scheme", "roman"],
        ),
        (
            "method = \"carrier-pigeon\"",
            7,
            &["images[0].method", "simple-update"],
        ),
        (
            "apply_time = \"Later\"",
            7,
            &["images[0].apply_time", "OnReset"],
        ),
        (
            "min_from_version = \"N/A\"",
            7,
            &["images[0].min_from_version"],
        ),
        (
            "prerequisites = [{ kind = \"bmc\", min_version = \"\" }]",
            7,
            &["images[0].prerequisites[0].min_version"],
        ),
        (
            "prerequisites = [{ kind = \"bios\", min_version = \"1\" }]",
            7,
            &["images[0].prerequisites[0].kind", "min_from_version"],
        ),
        ("software_id = \" \"", 7, &["images[0].software_id"]),
    ];
    for (extra, line, needles) in cases {
        check_bad(&entry_toml("a.bin", extra), *line, needles);
    }
    check_bad(
        &entry_toml("../etc/passwd", ""),
        2,
        &["images[0].file", "leaves the repository"],
    );
    check_bad(&entry_toml("/abs.bin", ""), 2, &["images[0].file"]);
    check_bad(&entry_toml(MANIFEST, ""), 2, &["images[0].file"]);
    check_bad(
        &entry_toml("a.bin", "").replace(SHA, "abc"),
        3,
        &["images[0].sha256", "64 hex"],
    );
    check_bad(
        &entry_toml("a.bin", "version_scheme = \"semver\"").replace("\"1.0\"", "\"1.0.x\""),
        5,
        &["images[0].version", "semver"],
    );
    check_bad(
        &entry_toml("a.bin", "").replace("size = 1", "size = -1"),
        4,
        &["images[0].size"],
    );
}

#[test]
fn a_file_listed_twice_names_the_second_entry() {
    let text = format!("{}{}", entry_toml("a.bin", ""), entry_toml("./a.bin", ""));
    check_bad(&text, 9, &["images[1].file", "images[0]"]);
}

#[test]
fn prerequisites_as_tables_locate_their_entry() {
    let text = format!(
        "{}[[images.prerequisites]]\nkind = \"bmc\"\nmin_version = \"1\"\nextra = 1\n",
        entry_toml("a.bin", "")
    );
    check_bad(&text, 11, &["images[0].prerequisites", "extra"]);
    let ok = format!(
        "{}[[images.prerequisites]]\nkind = \"bmc\"\nmin_version = \"5.10\"\n",
        entry_toml("a.bin", "")
    );
    let fx = Fixture::new();
    fs::create_dir_all(&fx.repo_dir).unwrap();
    fs::write(fx.repo_dir.join(MANIFEST), ok).unwrap();
    let repo = Repository::open(&fx.repo_dir).unwrap();
    assert_eq!(
        repo.list()[0].prerequisites,
        [Prerequisite {
            kind: Kind::Bmc,
            min_version: "5.10".into()
        }]
    );
}

// ---- candidates ----------------------------------------------------------

fn component(kind: Kind, name: &str, software_id: Option<&str>) -> Component {
    Component {
        id: name.replace(' ', "_"),
        name: name.into(),
        kind,
        version: Some("1.0".into()),
        updateable: true,
        software_id: software_id.map(str::to_owned),
        role: Role::Active,
        identity: software_id.unwrap_or(name).to_owned(),
        uri: format!(
            "/redfish/v1/UpdateService/FirmwareInventory/{}",
            name.replace(' ', "_")
        ),
        lowest_supported_version: None,
        version_scheme: None,
        manufacturer: None,
        write_protected: false,
        pci: None,
        reset_required_on_update: None,
    }
}

fn repo_from(entries: &[&str]) -> (Fixture, Repository) {
    let fx = Fixture::new();
    fs::create_dir_all(&fx.repo_dir).unwrap();
    let text: String = entries
        .iter()
        .enumerate()
        .map(|(i, extra)| entry_toml(&format!("{i}.bin"), extra))
        .collect();
    fs::write(fx.repo_dir.join(MANIFEST), &text).unwrap();
    let repo = Repository::open(&fx.repo_dir).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (fx, repo)
}

#[test]
fn candidates_match_kind_globs_software_id_and_regex() {
    let (_fx, repo) = repo_from(&[
        // 0: any BIOS of a Dell R7xx
        "manufacturers = [\"Dell*\"]\nmodels = [\"PowerEdge R7*\"]",
        // 1: any BIOS of an HPE
        "manufacturers = [\"HPE\"]",
        // 2: a BMC image with a SoftwareId
        "kind = \"bmc\"\nsoftware_id = \"25227\"",
        // 3: NIC firmware for one family, by name
        "kind = \"nic\"\nmatch = \"^Broadcom 57\\\\d{3}\"",
        // 4: any BIOS anywhere
        "",
    ]);
    let files = |c: &Component, mf: Option<&str>, model: Option<&str>| -> Vec<String> {
        repo.candidates(c, mf, model)
            .iter()
            .map(|e| e.file.clone())
            .collect()
    };
    let bios = component(Kind::Bios, "BIOS", None);
    let dell = Some("Dell Inc.");

    // kind and globs (case-insensitive)
    assert_eq!(
        files(&bios, dell, Some("PowerEdge R750")),
        ["0.bin", "4.bin"]
    );
    assert_eq!(
        files(&bios, Some("dell inc."), Some("poweredge r760xa")),
        ["0.bin", "4.bin"]
    );
    assert_eq!(files(&bios, dell, Some("PowerEdge R650")), ["4.bin"]);
    assert_eq!(
        files(&bios, Some("HPE"), Some("ProLiant DL380 Gen10")),
        ["1.bin", "4.bin"]
    );
    // unknown model or manufacturer: only unrestricted entries
    assert_eq!(files(&bios, dell, None), ["4.bin"]);
    assert_eq!(files(&bios, None, Some("PowerEdge R750")), ["4.bin"]);

    // software_id: equal or absent on the component matches; different does not
    let bmc = |id: Option<&str>| component(Kind::Bmc, "BMC Firmware", id);
    assert_eq!(files(&bmc(Some("25227")), dell, None), ["2.bin"]);
    assert_eq!(files(&bmc(None), dell, None), ["2.bin"]);
    assert!(files(&bmc(Some("159")), dell, None).is_empty());

    // regex on name, id or identity; case-insensitive
    let nic = |name: &str| component(Kind::Nic, name, None);
    assert_eq!(files(&nic("Broadcom 57414 NIC"), dell, None), ["3.bin"]);
    assert_eq!(files(&nic("BROADCOM 57504"), dell, None), ["3.bin"]);
    assert!(files(&nic("Intel X710"), dell, None).is_empty());
    let mut by_id = nic("NIC in slot 3");
    by_id.id = "Broadcom 57416".into();
    assert_eq!(files(&by_id, dell, None), ["3.bin"]);
    let mut by_identity = nic("NIC in slot 3");
    by_identity.identity = "broadcom 57508".into();
    assert_eq!(files(&by_identity, dell, None), ["3.bin"]);

    // other kinds have no candidates
    assert!(files(&component(Kind::Psu, "PSU 1", None), dell, None).is_empty());
}

// ---- vendor provenance, signatures, edits (issue 19) ---------------------

#[test]
fn a_vendor_hash_mismatch_is_refused_naming_the_file_and_nothing_is_added() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let src = fx.image("BIOS_R750_2.19.1.EXE", b"the bytes we got");
    let spec = AddSpec {
        vendor_hash: Some((HashKind::Sha256, sha_hex(b"the bytes Dell published"))),
        ..bios_spec()
    };
    let err = repo.add(&src, spec).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            RepoError::VendorHashMismatch {
                kind: HashKind::Sha256,
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.contains("BIOS_R750_2.19.1.EXE"), "{msg}");
    assert!(msg.contains("nothing was added"), "{msg}");
    assert!(repo.list().is_empty());
    assert!(!fx.repo_dir.join("BIOS_R750_2.19.1.EXE").exists());
    assert!(fx.leftovers().is_empty());
}

#[test]
fn an_md5_vendor_hash_is_checked_and_recorded_as_md5() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let src = fx.image("old.exe", b"x");
    // md5("x"), as `md5sum` prints it, in upper case as some catalogs write it.
    let spec = AddSpec {
        vendor_hash: Some((HashKind::Md5, "9DD4E461268C8034F5C8564E155C67A6".into())),
        ..bios_spec()
    };
    let e = repo.add(&src, spec).unwrap();
    assert_eq!(e.vendor_hash_kind, Some(HashKind::Md5));
    assert_eq!(
        e.vendor_hash.as_deref(),
        Some("9dd4e461268c8034f5c8564e155c67a6")
    );
    let text = fs::read_to_string(repo.manifest_path()).unwrap();
    assert!(text.contains("vendor_hash_kind = \"md5\""), "{text}");
}

#[test]
fn a_signature_is_kept_beside_its_image_verified_and_removed_with_it() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let src = fx.image("U46_2.72.fwpkg", b"zip bytes");
    let sig = fx.image("U46_2.72.compsig", b"signature");
    let spec = AddSpec {
        signature_src: Some(sig),
        ..bios_spec()
    };
    let e = repo.add(&src, spec).unwrap().clone();
    assert_eq!(e.signature.as_deref(), Some("U46_2.72.compsig"));
    assert_eq!(
        fs::read(fx.repo_dir.join("U46_2.72.compsig")).unwrap(),
        b"signature"
    );
    assert_eq!(repo.verify(), vec![]);
    fs::remove_file(fx.repo_dir.join("U46_2.72.compsig")).unwrap();
    let problems = repo.verify();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0]
        .to_string()
        .contains("signature `U46_2.72.compsig`"));
    fs::write(fx.repo_dir.join("U46_2.72.compsig"), b"signature").unwrap();
    repo.remove("U46_2.72.fwpkg").unwrap();
    assert!(!fx.repo_dir.join("U46_2.72.compsig").exists());
    assert!(fx.leftovers().is_empty());
}

#[test]
fn edit_changes_applicability_and_notes_in_place_and_refuses_a_bad_one() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let src = fx.image("BIOS_2.19.1.bin", b"bios");
    repo.add(&src, bios_spec()).unwrap();
    let edited = repo
        .edit(
            "BIOS_2.19.1.bin",
            Edit {
                models: Some(vec!["PowerEdge R750".into()]),
                notes: Some(Some("only the R750s".into())),
                ..Edit::default()
            },
        )
        .unwrap()
        .clone();
    assert_eq!(edited.models, ["PowerEdge R750"]);
    assert_eq!(edited.sha256, sha_hex(b"bios"));
    let reopened = Repository::open(&fx.repo_dir).unwrap();
    assert_eq!(reopened.list()[0].notes.as_deref(), Some("only the R750s"));
    let r750 = component(Kind::Bios, "BIOS", None);
    assert!(reopened.list()[0].applies_to(&r750, Some("Dell Inc."), Some("PowerEdge R750")));
    assert!(!reopened.list()[0].applies_to(&r750, Some("Dell Inc."), Some("PowerEdge R740")));

    let bad = repo
        .edit(
            "BIOS_2.19.1.bin",
            Edit {
                models: Some(vec!["R[7".into()]),
                ..Edit::default()
            },
        )
        .unwrap_err();
    assert!(bad.to_string().contains("models[0]"), "{bad}");
    let everywhere = repo
        .edit(
            "BIOS_2.19.1.bin",
            Edit {
                models: Some(vec![]),
                manufacturers: Some(vec![]),
                ..Edit::default()
            },
        )
        .unwrap_err();
    assert!(
        everywhere.to_string().contains("--any-model"),
        "{everywhere}"
    );
    // Nothing changed on disk by the refused edits.
    let reopened = Repository::open(&fx.repo_dir).unwrap();
    assert_eq!(reopened.list()[0].models, ["PowerEdge R750"]);
}

#[test]
fn applicability_is_required_unless_said_otherwise() {
    assert!(!AddSpec::new(Kind::Bios, "1.0").has_applicability());
    assert!(bios_spec().has_applicability());
    let by_ids = AddSpec {
        software_ids: vec!["159".into()],
        ..AddSpec::new(Kind::Bios, "1.0")
    };
    assert!(by_ids.has_applicability());
}

#[test]
fn devices_match_by_component_id_and_by_all_four_pci_ids_only_for_placeholder_ids() {
    let pci: crate::inventory::pci::PciIds = "14E4:165F:1028:08FF".parse().unwrap();
    let other: crate::inventory::pci::PciIds = "14E4:165F:14E4:165F".parse().unwrap();
    let ids = vec!["108255".to_string()];
    // A real ComponentID decides alone.
    assert!(device_matches(&ids, &[], Some("108255"), None));
    assert!(!device_matches(&ids, &[pci], Some("999"), Some(pci)));
    // Dell's placeholder `0` (or none) falls back to the PCI IDs, all four.
    assert!(device_matches(&ids, &[pci], Some("0"), Some(pci)));
    assert!(device_matches(&[], &[pci], None, Some(pci)));
    assert!(!device_matches(&ids, &[pci], Some("0"), Some(other)));
    assert!(!device_matches(&ids, &[pci], Some("0"), None));

    let entry = AddSpec {
        software_ids: ids.clone(),
        pci_ids: vec![pci],
        system_ids: vec!["716".into()],
        models: vec!["PowerEdge R740xd".into()],
        ..AddSpec::new(Kind::Nic, "22.00.6")
    }
    .into_entry("nic.exe".into(), SHA.into(), 1)
    .prepare()
    .unwrap();
    assert_eq!(entry.system_ids, ["0716"]);
    let nic0 = component(Kind::Nic, "Broadcom Gigabit Ethernet BCM5720", Some("0"));
    let model = Some("PowerEdge R740xd");
    assert!(entry.applies_to_host(&nic0, Some(pci), Some("Dell Inc."), model, Some(1814)));
    assert!(!entry.applies_to_host(&nic0, Some(pci), Some("Dell Inc."), model, Some(1815)));
    assert!(!entry.applies_to_host(&nic0, Some(pci), Some("Dell Inc."), model, None));
    assert!(!entry.applies_to_host(&nic0, None, Some("Dell Inc."), model, Some(1814)));
    // Same name, another ComponentID: never by display name.
    let nic_other = component(
        Kind::Nic,
        "Broadcom Gigabit Ethernet BCM5720",
        Some("104298"),
    );
    assert!(!entry.applies_to_host(&nic_other, Some(pci), Some("Dell Inc."), model, Some(1814)));
    assert_eq!(system_id_hex(1814), "0716");
}

/// What the planner asks: the host's SystemID and the component's PCI IDs
/// from the inventory decide, for catalog entries; without a SystemID such
/// an entry never applies, and a plain entry still does.
#[test]
fn candidates_on_a_system_use_its_system_id_and_the_components_pci_ids() {
    use crate::inventory::model::SystemInfo;
    let (_fx, repo) = repo_from(&[
        // 0: a catalog NIC package for R640s (0716 = 1814), keyed by PCI IDs
        "kind = \"nic\"\nmanufacturers = [\"Dell*\"]\nmodels = [\"PowerEdge R640\"]\nsoftware_ids = [\"108255\"]\npci_ids = [\"14E4:165F:1028:08FF\"]\nsystem_ids = [\"0716\"]",
        // 1: a hand-added NIC image for the same model
        "kind = \"nic\"\nmodels = [\"PowerEdge R640\"]",
    ]);
    let mut lom = component(Kind::Nic, "Broadcom Gigabit Ethernet BCM5720", Some("0"));
    lom.pci = Some("14E4:165F:1028:08FF".parse().unwrap());
    let system = |id: Option<u32>| SystemInfo {
        manufacturer: Some("Dell Inc.".into()),
        model: Some("PowerEdge R640".into()),
        dell_system_id: id,
        ..SystemInfo::default()
    };
    let files = |c: &Component, s: &SystemInfo| -> Vec<String> {
        repo.candidates_on(c, s)
            .iter()
            .map(|e| e.file.clone())
            .collect()
    };
    assert_eq!(files(&lom, &system(Some(1814))), ["0.bin", "1.bin"]);
    assert_eq!(files(&lom, &system(Some(1815))), ["1.bin"]);
    assert_eq!(files(&lom, &system(None)), ["1.bin"]);
    // The same card on a system the package lists, but no PCI IDs read.
    let mut bare = lom.clone();
    bare.pci = None;
    assert_eq!(files(&bare, &system(Some(1814))), ["1.bin"]);
    // By ComponentID when the device reports a real one.
    let by_id = component(
        Kind::Nic,
        "Broadcom Gigabit Ethernet BCM5720",
        Some("108255"),
    );
    assert_eq!(files(&by_id, &system(Some(1814))), ["0.bin", "1.bin"]);
    // The three-argument form is a host without a SystemID.
    assert_eq!(
        repo.candidates(&lom, Some("Dell Inc."), Some("PowerEdge R640"))
            .iter()
            .map(|e| e.file.as_str())
            .collect::<Vec<_>>(),
        ["1.bin"]
    );
}

#[test]
fn a_new_key_with_a_bad_value_names_its_line_and_old_manifests_still_open() {
    check_bad(
        &entry_toml("a.bin", "criticality = \"soon\""),
        7,
        &["images[0].criticality"],
    );
    check_bad(
        &entry_toml("a.bin", "disruption = \"reboot\""),
        7,
        &["images[0].disruption", "no-host-impact"],
    );
    check_bad(
        &entry_toml("a.bin", "system_ids = [\"R750\"]"),
        7,
        &["images[0].system_ids[0]"],
    );
    check_bad(
        &entry_toml("a.bin", "pci_ids = [\"14E4\"]"),
        7,
        &["images[0].pci_ids[0]"],
    );
    check_bad(
        &entry_toml("a.bin", "vendor_hash = \"abc\""),
        7,
        &["vendor_hash_kind"],
    );
    check_bad(
        &entry_toml("a.bin", "release_date = \"May 27, 2024\""),
        7,
        &["release_date"],
    );
    // A manifest from before issue 19 (no new key) opens as it did.
    let fx = Fixture::new();
    fs::create_dir_all(&fx.repo_dir).unwrap();
    fs::write(
        fx.repo_dir.join(MANIFEST),
        entry_toml("a.bin", "models = [\"X\"]"),
    )
    .unwrap();
    let repo = Repository::open(&fx.repo_dir).unwrap();
    let e = &repo.list()[0];
    assert!(e.criticality.is_none() && e.software_ids.is_empty() && e.source.is_none());
}

#[test]
fn packages_only_a_vendor_tool_can_apply_are_never_candidates() {
    let fx = Fixture::new();
    let mut repo = fx.repo();
    let spec = AddSpec {
        needs_vendor_tool: Some("UpdatableBy Uefi only".into()),
        ..bios_spec()
    };
    repo.add(&fx.image("rom.fwpkg", b"r"), spec).unwrap();
    let bios = component(Kind::Bios, "BIOS", None);
    let (m, model) = (Some("Dell Inc."), Some("PowerEdge R750"));
    assert!(repo.candidates(&bios, m, model).is_empty());
    assert_eq!(repo.vendor_tool_candidates(&bios, m, model).len(), 1);
}
