from setuptools import find_namespace_packages, setup

# Kept deliberately short; each runtime dependency is justified in docs/design.md ("Dependencies").
setup(
    name="zartsalgo_pipelines",
    version="0.1.0",
    # Namespace discovery: the spec folders under defs/ hold data only (defs.yaml, samples), and
    # setuptools warns about every such folder that plain find_packages() leaves out.
    packages=find_namespace_packages(
        include=["zartsalgo_pipelines", "zartsalgo_pipelines.*"], exclude=["*.__pycache__"]
    ),
    package_dir={"": "."},
    package_data={"zartsalgo_pipelines": ["defs/**/*", "py.typed"]},
    include_package_data=True,
    python_requires=">=3.11",
    install_requires=[
        "dagster==1.13.*",
        "dagster-webserver==1.13.*",
        "dagster-dg-cli==1.13.*",
        "pandas>=2.2",
        "pandera>=0.35",
        "pyarrow>=15",
        "sqlalchemy>=2.0.30",
        "pymysql>=1.1",
        "alembic>=1.13",
        "jmespath>=1.0",
        "orjson>=3.9",
        "requests>=2.31",
        # The webhook receiver's HTTP server (docs/webhooks.md says why not http.server); below 4
        # because the receiver's request deadline and drain read waitress's channel state.
        "waitress>=3.0.2,<4",
        # Client proof: exact tests of significance for trends (binomial, Fisher, Welch) and
        # CLDR locale formatting of numbers, money, dates and plural forms (docs/design.md).
        "scipy>=1.11",
        "babel>=2.14",
        # Manual entry reads the .xlsx sheets people keep phoned-in records in (docs/design.md):
        # the format is a zip of XML parts with shared strings and date serials, not for by hand.
        "openpyxl>=3.1",
    ],
    extras_require={
        # A deployment (docs/deploying.md): Dagster's instance on MySQL, steps on Celery workers,
        # the Procfile stack for a one-machine trial.
        "deploy": ["dagster-mysql==0.29.*", "dagster-celery==0.29.*", "honcho>=2.0"],
        "dev": [
            "pytest>=8",
            "hypothesis>=6.100",
            # Browser tests drive Debian's chromium (dev.py installs it); no browser download.
            "playwright>=1.45",
            # Deployment tests: Dagster's instance on MySQL, steps on Celery, the Procfile stack.
            "dagster-mysql==0.29.*",
            "dagster-celery==0.29.*",
            "honcho>=2.0",
            "ruff>=0.6",
            "mypy>=1.11",
            "pandas-stubs",
            "types-requests",
            "types-PyYAML",
            "types-jmespath",
            "types-openpyxl",
        ],
    },
    entry_points={"console_scripts": ["zartsalgo=zartsalgo_pipelines.cli:main"]},
)
