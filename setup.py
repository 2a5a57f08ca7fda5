from setuptools import find_packages, setup

# Kept deliberately short; each runtime dependency is justified in README.md ("Dependencies").
setup(
    name="zartsalgo_pipelines",
    version="0.1.0",
    packages=find_packages(include=["zartsalgo_pipelines", "zartsalgo_pipelines.*"]),
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
        ],
    },
    entry_points={"console_scripts": ["zartsalgo=zartsalgo_pipelines.cli:main"]},
)
