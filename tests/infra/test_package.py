"""``make package``: what the Lambda bundle holds, that it runs, and the stage settings in its template."""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import re
import subprocess
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from chalicelib import console_page
from chalicelib.apidoc import DOCUMENT
from chalicelib.docs_page import ASSETS, PAGE
from scripts.lambda_package.build import ROOT, BuildInputs, BuiltPackage, build_package
from scripts.lambda_package.bundle import UNZIPPED_LIMIT, ZIPPED_LIMIT
from scripts.lambda_package.errors import BuildError
from scripts.lambda_package.runtime import (
    COLD_PROCESSOR_IMPORTS,
    bundle_command,
    bundle_env,
    runtime_folder,
)
from scripts.lambda_package.sqs_settings import apply_sqs_settings, read_sqs_settings
from scripts.lambda_package.wheels import install_offline
from tests.infra.conftest import STAGES

slow = pytest.mark.slow
PYC_FLAGS_UNCHECKED_HASH = 0b01  # PEP 552: hash-based, source not checked
LAMBDA_PLATFORM = re.compile(r"manylinux(2014|1|2010|_2_(\d+))_x86_64")


def names(package: BuiltPackage) -> list[str]:
    with zipfile.ZipFile(package.zip_path) as archive:
        return archive.namelist()


def stage_config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return config


@slow
@pytest.mark.parametrize("stage", STAGES)
def test_the_bundle_holds_the_app_its_rules_migrations_and_dependencies(
    packages: dict[str, BuiltPackage], stage: str
) -> None:
    # GIVEN the package built for the stage
    entries = set(names(packages[stage]))
    # THEN the app, its library, rules/ and sql/ sit at the root, as beside app.py in the repo
    assert {"app.py", "chalicelib/__init__.py", "chalicelib/settings.py"} <= entries
    assert any(name.startswith("rules/") and name.endswith(".yaml") for name in entries)
    assert any(name.startswith("sql/versions/") and name.endswith(".py") for name in entries)
    # AND the dependencies of requirements.txt are vendored there, re2's extension included
    for package in (
        "sqlalchemy/__init__.py",
        "pymysql/__init__.py",
        "yaml/__init__.py",
        "aws_lambda_powertools/__init__.py",
        "re2.py",
    ):
        assert package in entries
    assert "_re2.cpython-311-x86_64-linux-gnu.so" in entries


@slow
def test_the_bundle_ships_the_api_document_and_every_file_of_the_docs_page(
    packages: dict[str, BuiltPackage],
) -> None:
    # GIVEN the files GET /openapi.json, GET /docs and GET /console read, as in the repository
    wanted = [DOCUMENT, PAGE.path, *(asset.path for asset in ASSETS.values())]
    wanted += [console_page.PAGE.path, *(one.path for one in console_page.ASSETS.values())]
    # WHEN the bundle is read
    with zipfile.ZipFile(packages["prod"].zip_path) as archive:
        shipped = {
            name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("chalicelib/static/") or name == "chalicelib/openapi.json"
        }
    # THEN each is there, where the code looks for it beside chalicelib/, byte for byte
    for path in wanted:
        name = path.relative_to(ROOT).as_posix()
        assert shipped.get(name) == path.read_bytes(), name
    # AND so are the vendored Swagger UI's licence and notice
    assert {"chalicelib/static/swagger-ui/LICENSE", "chalicelib/static/swagger-ui/NOTICE"} <= set(
        shipped
    )


@slow
def test_every_compiled_dependency_is_built_for_lambdas_linux(
    packages: dict[str, BuiltPackage],
) -> None:
    # GIVEN the wheels' tags recorded in the bundle's dist-info folders
    with zipfile.ZipFile(packages["prod"].zip_path) as archive:
        tags = {
            name.split("/")[0]: re.findall(r"^Tag: (\S+)$", archive.read(name).decode(), re.M)
            for name in archive.namelist()
            if name.endswith(".dist-info/WHEEL")
        }
    compiled = {
        wheel: found
        for wheel, found in tags.items()
        if not any(tag.endswith("-none-any") for tag in found)
    }
    # THEN each compiled one is CPython 3.11 for x86_64 with glibc 2.17 at most (Amazon Linux 2
    # has 2.26), google-re2 among them
    assert any(wheel.startswith("google_re2-") for wheel in compiled)
    for wheel, found in compiled.items():
        fits = [
            tag
            for tag in found
            if tag.startswith("cp311-cp311-")
            and (match := LAMBDA_PLATFORM.search(tag))
            and int(match.group(2) or 17) <= 17
        ]
        assert fits, f"{wheel}: {found}"


@slow
def test_every_python_file_has_an_unchecked_hash_pyc_beside_it(
    packages: dict[str, BuiltPackage],
) -> None:
    # GIVEN the bundle's files
    with zipfile.ZipFile(packages["prod"].zip_path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    sources = [name for name in files if name.endswith(".py")]
    assert len(sources) > 500
    for source in sources:
        folder, _, stem = source.rpartition("/")
        cached = f"{folder}/__pycache__/{stem[:-3]}.cpython-311.pyc".lstrip("/")
        # THEN each has its .pyc in the standard place, for this interpreter's bytecode
        assert cached in files, source
        header = files[cached][:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER, source
        # AND it is hash-based and unchecked, with the hash of the .py shipped beside it
        assert int.from_bytes(header[4:8], "little") == PYC_FLAGS_UNCHECKED_HASH, source
        assert header[8:16] == importlib.util.source_hash(files[source]), source


@slow
def test_the_bundle_leaves_out_what_the_runtime_provides_and_the_deploy_tool(
    packages: dict[str, BuiltPackage],
) -> None:
    # GIVEN the top-level names of the bundle
    entries = names(packages["prod"])
    tops = {name.split("/")[0].split("-")[0].lower() for name in entries}
    # THEN there is no boto3 (the Lambda runtime has it), no moto (tests), and of Chalice only
    # the runtime module it adds itself, not its CLI or deployer
    assert not tops & {"boto3", "botocore", "s3transfer", "moto"}
    assert sorted(name for name in entries if name.startswith("chalice/")) == [
        "chalice/__init__.py",
        "chalice/__pycache__/__init__.cpython-311.pyc",
        "chalice/__pycache__/app.cpython-311.pyc",
        "chalice/app.py",
    ]


@slow
def test_the_bundles_top_level_is_the_app_and_the_vendored_requirements_and_nothing_else(
    packages: dict[str, BuiltPackage],
) -> None:
    # GIVEN the wheels of requirements.txt and their dependencies (the wheelhouse the build
    # installs from, as `pip download -r requirements.txt` left it), and their top-level names;
    # a wheel's .data folder is not one: pip puts its scripts in bin/, which the build drops
    wheels = sorted(BuildInputs().wheelhouse.glob("*.whl"))
    vendored: set[str] = set()
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            vendored |= {
                name.split("/")[0]
                for name in archive.namelist()
                if not name.split("/")[0].endswith(".data")
            }
    required = {
        re.split(r"[<>=!~;\[ ]", line.strip())[0].lower().replace("-", "_")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    # WHEN the bundle's top-level names are read
    entries = names(packages["prod"])
    tops = {name.split("/")[0] for name in entries}
    # THEN they are app.py and its bytecode, our library, the rules, the migrations, the runtime
    # module Chalice adds, and the vendored dependencies: nothing else
    assert tops == {"app.py", "__pycache__", "chalicelib", "rules", "sql", "chalice"} | vendored
    # AND the root's __pycache__/ holds the bytecode of the root's modules only (app.py, and the
    # dependencies shipped as one module, re2.py for one)
    assert {name for name in entries if name.startswith("__pycache__/")} == {
        f"__pycache__/{name.removesuffix('.py')}.cpython-311.pyc"
        for name in tops
        if name.endswith(".py")
    }
    # AND every requirement of requirements.txt is among the vendored distributions
    shipped = {name.split("-")[0].lower() for name in tops if name.endswith(".dist-info")}
    assert required <= shipped, required - shipped


TOOL_MODULES = frozenset(
    {"cli", "keys_cli", "dead_letter_cli", "rule_dry_run_cli", "upload_client"}
)
FIRST_PARTY = ("app.py", "__pycache__", "chalicelib", "rules", "sql")


def imported_roots(source: bytes, filename: str) -> set[str]:
    """The top-level packages a module imports (relative imports stay inside its package)."""
    tree = ast.parse(source, filename)
    roots = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    return roots | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }


@slow
def test_the_bundle_holds_no_cli_upload_client_or_local_runtime(
    packages: dict[str, BuiltPackage],
) -> None:
    # GIVEN the bundle's files, and the tools' modules as they lie in tripline/ (the CLI, the
    # upload client, the local runtime), empty ones aside
    with zipfile.ZipFile(packages["prod"].zip_path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    tools = {
        path.read_bytes(): path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "tripline").rglob("*.py"))
        if path.read_bytes().strip()
    }
    assert {"tripline/cli.py", "tripline/upload_client.py", "tripline/local/runtime.py"} <= set(
        tools.values()
    )
    ours = {
        PurePosixPath(name): data
        for name, data in files.items()
        if name.split("/")[0] in FIRST_PARTY
    }
    # THEN there is no tripline/ entry at all, nor moto
    assert [name for name in files if name.split("/")[0] in ("tripline", "moto")] == []
    # AND none of our shipped modules is a tool's by its name, source or bytecode, nor a local/
    # package
    assert (
        sorted(
            str(path)
            for path in ours
            if path.name.split(".")[0] in TOOL_MODULES or "local" in path.parts[:-1]
        )
        == []
    )
    # AND no file anywhere in the bundle is a copy of a tool's module under another name
    assert sorted(f"{name} is {tools[data]}" for name, data in files.items() if data in tools) == []
    # AND no shipped module of ours imports the tools, or moto
    assert (
        sorted(
            str(path)
            for path, data in ours.items()
            if path.suffix == ".py" and imported_roots(data, str(path)) & {"tripline", "moto"}
        )
        == []
    )


@slow
def test_the_bundle_is_the_same_for_every_stage_byte_for_byte(
    packages: dict[str, BuiltPackage],
) -> None:
    # GIVEN two builds made one after the other (the code does not depend on the stage)
    zips = [packages[stage].zip_path.read_bytes() for stage in STAGES]
    # THEN they are identical: sorted entries, fixed times, deterministic bytecode
    assert zips[0] == zips[1]


@slow
def test_the_bundle_fits_lambdas_size_limits(packages: dict[str, BuiltPackage]) -> None:
    summary = packages["prod"].bundle
    assert summary.zipped_bytes == packages["prod"].zip_path.stat().st_size
    assert summary.zipped_bytes < ZIPPED_LIMIT
    assert summary.unzipped_bytes < UNZIPPED_LIMIT


@slow
def test_the_app_and_its_processor_path_import_from_the_bundle_alone(
    packages: dict[str, BuiltPackage], tmp_path: Path
) -> None:
    # GIVEN the bundle extracted read-only-like (no bytecode written), and beside it only boto3
    # and its dependencies, as Lambda's runtime has them
    bundle = tmp_path / "task"
    with zipfile.ZipFile(packages["prod"].zip_path) as archive:
        archive.extractall(bundle)
    runtime = runtime_folder(tmp_path / "runtime")
    probe = (
        "import importlib, json, sys\n"
        "import app\n"
        f"for name in {list(COLD_PROCESSOR_IMPORTS)!r}: importlib.import_module(name)\n"
        "mods = ('app', 'chalice', 'sqlalchemy', 'pymysql', 're2', 'yaml', 'chalicelib')\n"
        "print(json.dumps({m: sys.modules[m].__file__ for m in mods}))\n"
    )
    # WHEN a fresh interpreter imports app, then what a cold process_events imports
    done = subprocess.run(
        bundle_command(probe),
        env=bundle_env(bundle, runtime),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # THEN it succeeds, every module comes from the bundle, and nothing was compiled to disk
    assert done.returncode == 0, done.stderr
    origins = json.loads(done.stdout.splitlines()[-1])
    assert all(path.startswith(f"{bundle}/") for path in origins.values()), origins
    before = set(names(packages["prod"]))
    after = {path.relative_to(bundle).as_posix() for path in bundle.rglob("*") if path.is_file()}
    assert after == before


@slow
def test_the_interpreter_runs_the_bundles_bytecode_without_reading_the_sources(
    packages: dict[str, BuiltPackage], tmp_path: Path
) -> None:
    # GIVEN the extracted bundle whose app.py was changed after the build
    bundle = tmp_path / "task"
    with zipfile.ZipFile(packages["prod"].zip_path) as archive:
        archive.extractall(bundle)
    with (bundle / "app.py").open("a") as source:
        source.write("raise RuntimeError('the source was compiled')\n")
    # WHEN app is imported
    done = subprocess.run(
        bundle_command("import app"),
        env=bundle_env(bundle, runtime_folder(tmp_path / "runtime")),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # THEN the unchecked-hash .pyc ran, as on Lambda, where a source is never compiled on import
    assert done.returncode == 0, done.stderr


@slow
@pytest.mark.parametrize("stage", STAGES)
def test_the_stages_sqs_settings_land_in_both_templates(
    packages: dict[str, BuiltPackage], stage: str
) -> None:
    # GIVEN the SQS settings the stage carries in .chalice/config.json
    settings = read_sqs_settings(stage_config(), stage)
    assert settings, f"stage {stage} sets no SQS batching or concurrency"
    sam, cloudformation = packages[stage].sam, packages[stage].cloudformation
    mappings = {
        props["FunctionName"]["Ref"]: props
        for props in (
            resource["Properties"]
            for resource in cloudformation["Resources"].values()
            if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        )
    }
    for one in settings:
        logical = "".join(word.capitalize() for word in one.function.split("_"))
        (event,) = sam["Resources"][logical]["Properties"]["Events"].values()
        # THEN each function's SQS event source carries them, in SAM and in its expansion
        for props in (event["Properties"], mappings[logical]):
            if one.batch_size is not None:
                assert props["BatchSize"] == one.batch_size
            if one.window_seconds is not None:
                assert props["MaximumBatchingWindowInSeconds"] == one.window_seconds
            if one.maximum_concurrency is not None:
                assert props["ScalingConfig"] == {"MaximumConcurrency": one.maximum_concurrency}


@slow
def test_the_expansion_is_plain_cloudformation(packages: dict[str, BuiltPackage]) -> None:
    for package in packages.values():
        types = {resource["Type"] for resource in package.cloudformation["Resources"].values()}
        assert "Transform" not in package.cloudformation
        assert not any(kind.startswith("AWS::Serverless::") for kind in types)
        assert {"AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping"} <= types


def config_with(stage: str, function: str, **keys: Any) -> dict[str, Any]:
    config = {"stages": {stage: {"lambda_functions": {function: {"lambda_timeout": 30}}}}}
    config["stages"][stage]["lambda_functions"][function].update(keys)
    return config


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("batch_size", 0),
        ("batch_size", 10_001),
        ("batch_size", True),
        ("batch_size", "10"),
        ("maximum_batching_window_in_seconds", -1),
        ("maximum_batching_window_in_seconds", 301),
        ("maximum_concurrency", 1),
        ("maximum_concurrency", 1_001),
        ("maximum_concurrency", 2.5),
    ],
)
def test_a_value_sqs_would_refuse_fails_naming_stage_function_and_key(key: str, value: Any) -> None:
    # GIVEN a stage whose function carries a value outside SQS's range
    config = config_with("prod", "process_rows", **{key: value})
    # WHEN its settings are read (before anything is built)
    with pytest.raises(BuildError) as failure:
        read_sqs_settings(config, "prod")
    # THEN the message says where
    assert f"stage 'prod', function 'process_rows': {key} is {value!r}" in str(failure.value)


def test_an_unknown_stage_fails_listing_the_known_ones() -> None:
    with pytest.raises(
        BuildError, match=r"stage 'qa' is not in .chalice/config.json \(it has prod\)"
    ):
        read_sqs_settings(config_with("prod", "process_rows", batch_size=4), "qa")


@slow
def test_a_setting_for_a_function_without_an_sqs_source_fails(
    packages: dict[str, BuiltPackage],
) -> None:
    # GIVEN the packaged template and a batch size set for the scheduled function
    template = copy.deepcopy(packages["dev"].sam)
    settings = read_sqs_settings(config_with("dev", "tick", batch_size=5), "dev")
    # WHEN it is applied
    with pytest.raises(BuildError) as failure:
        apply_sqs_settings(template, settings, "dev")
    # THEN the build stops, naming the stage, the function and the key
    assert str(failure.value) == (
        "stage 'dev', function 'tick': batch_size is set, but the "
        "function has no SQS event source in the packaged template"
    )


@slow
def test_a_batch_over_ten_without_a_batching_window_fails(
    packages: dict[str, BuiltPackage],
) -> None:
    template = copy.deepcopy(packages["dev"].sam)
    settings = read_sqs_settings(
        config_with("dev", "process_events", batch_size=100, maximum_batching_window_in_seconds=0),
        "dev",
    )
    with pytest.raises(
        BuildError,
        match=r"stage 'dev', function 'process_events': batch_size 100 "
        r"is over 10, .* maximum_batching_window_in_seconds",
    ):
        apply_sqs_settings(template, settings, "dev")


def test_a_build_without_the_checks_virtualenv_says_to_run_make_test(tmp_path: Path) -> None:
    # GIVEN a checkout where .venv-checks was never built
    inputs = BuildInputs(checks_python=tmp_path / ".venv-checks" / "bin" / "python")
    # WHEN a stage is built
    with pytest.raises(
        BuildError, match=r"\.venv-checks/bin/python is missing: .* run `make test`"
    ):
        build_package("dev", tmp_path / "dist", inputs)
    # THEN nothing was written
    assert not (tmp_path / "dist").exists()


def test_an_install_from_an_empty_wheelhouse_says_to_run_make_wheelhouse(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"no wheels in .*: run `make wheelhouse`"):
        install_offline(ROOT / "requirements.txt", tmp_path / "wheelhouse", tmp_path / "vendor")
