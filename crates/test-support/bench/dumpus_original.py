"""Time the ORIGINAL dumpus-api analysis on a local Discord data-package zip.

    python dumpus_original.py [--all-shards] [--skip-malformed] DUMPUS_API_DIR PACKAGE_ZIP [OUTPUT_DIR]

Prints one line on stdout, `SECONDS PEAK_RSS_MIB LINES MESSAGES`: the wall
time of the analysis alone (all imports are done before the clock starts) and the
process's peak RSS (ru_maxrss, which includes the ~80 MiB that pandas and
numpy take at import; the baseline is reported on stderr), the analytics
lines it read and the messages it counted. The original's
own progress prints, the counts it reached (analytics lines, messages), the
part of the time spent in gzip -9 and AES (cordvault's analyse() stops at the
SQLite file, so subtract them to compare) and the output's row counts go to
stderr; OUTPUT_DIR (a temporary folder if not given) receives the
result as `result.sqlite.gz` (what the original encrypts) and `result.sqlite`.

Nothing of the original is copied: its `src/` is imported from the checkout
and `tasks.read_analytics_file` is called, which is everything
`tasks.process_package` does after `download_file`: read user.json and
payments, the analytics lines, the servers and messages indexes, every
channel's messages.json (pandas hour buckets), voice and app sessions, the
in-memory SQLite with its indexes, VACUUM, gzip, and the AES encryption.
Stubbed, because they reach external services:
  - `db` (SQLAlchemy on PostgreSQL; connects and runs DDL at import): a
    stand-in module whose step/progress updates and session do nothing;
  - the download and the zip's deletion: `process_package` is not called,
    and `tasks.get_package_zip_path` names the given zip;
  - `blob_storage.upload` (S3 PutObject): keeps only the blob's size;
  - the Discord webhook: WH_URL is set empty, so none is posted.
TZ is set to UTC, as on the original's servers (it buckets naive times via
the local zone).

Options, both off by default so that the default is the original's behaviour:
  --all-shards      the original reads only the FIRST analytics shard
                    (`find_analytics_file`); this feeds every shard, in zip
                    order, through the same loop (chains `tasks.TextIOWrapper`).
  --skip-malformed  the original aborts the whole package on a line that is
                    not JSON; this makes such a line `{}`, which the loop
                    counts and skips like a line without event_type.
"""
import argparse, contextlib, gzip, hashlib, os, resource, sqlite3, sys, tempfile, time, traceback, types
from datetime import datetime
from zipfile import ZipFile


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dumpus_api_dir')
    parser.add_argument('package_zip')
    parser.add_argument('output_dir', nargs='?')
    parser.add_argument('--all-shards', action='store_true')
    parser.add_argument('--skip-malformed', action='store_true')
    args = parser.parse_args()
    zip_path = os.path.abspath(args.package_zip)
    output_dir = args.output_dir or tempfile.mkdtemp(prefix='dumpus-original-')
    os.makedirs(output_dir, exist_ok=True)

    os.environ['WH_URL'] = ''  # set before tasks' load_dotenv(), which does not override
    os.environ['TZ'] = 'UTC'  # the original makes epochs of naive times in the local zone; it runs on UTC hosts
    time.tzset()
    sys.path.insert(0, os.path.join(os.path.abspath(args.dumpus_api_dir), 'src'))

    class Row:
        def __init__(self, **fields):
            self.__dict__.update(fields)

    class Session:
        def add(self, row): pass
        def commit(self): pass
        def close(self): pass

    started = {}
    db = types.ModuleType('db')
    db.SavedPackageData = db.PackageProcessStatus = Row
    db.Session = Session
    db.update_step = db.update_progress = lambda *args: None
    db.fetch_package_status = lambda package_id, session: Row(created_at=started['at'])
    sys.modules['db'] = db

    import tasks, blob_storage, util, sqlite as result_db  # the original's modules

    uploaded, captured, spent = {}, {}, {'gzip': 0.0, 'encrypt': 0.0}
    blob_storage.upload = lambda package_id, body: uploaded.update(package_id=package_id, size=len(body))
    tasks.get_package_zip_path = lambda package_id: zip_path

    def timed(name, function):  # the same call, its time noted (to report the analysis without gzip/AES)
        def call(*args, **kwargs):
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - begin
        return call
    result_db.gzip = types.SimpleNamespace(compress=timed('gzip', gzip.compress))
    real_encrypt = timed('encrypt', tasks.encrypt_sqlite_data)

    def encrypt(zipped, key):  # keeps the plaintext gzip for OUTPUT_DIR, then encrypts as the original
        captured['gz'] = zipped
        return real_encrypt(zipped, key)
    tasks.encrypt_sqlite_data = encrypt

    if args.all_shards:
        real_wrapper = tasks.TextIOWrapper

        def every_shard(first):
            yield from real_wrapper(first)
            with ZipFile(zip_path) as package:
                names = package.namelist()
                rest = names[names.index(tasks.find_analytics_file(names)) + 1:]
                while (name := tasks.find_analytics_file(rest)):
                    print(f'[driver] next analytics shard {name}')
                    yield from real_wrapper(package.open(name))
                    rest = rest[rest.index(name) + 1:]
        tasks.TextIOWrapper = every_shard

    if args.skip_malformed:
        real_orjson, skipped = tasks.orjson, {'lines': 0}

        def loads(data):
            try:
                return real_orjson.loads(data)
            except real_orjson.JSONDecodeError:
                skipped['lines'] += 1
                return {}
        tasks.orjson = types.SimpleNamespace(loads=loads, JSONDecodeError=real_orjson.JSONDecodeError)

    # A Discord-style link, so the key and package id come from the original's own functions.
    upn = hashlib.sha256(zip_path.encode()).hexdigest() * 10
    link = f'https://click.discord.com/ls/click?upn={upn}'
    package_id = util.extract_package_id_from_discord_link(link)

    baseline_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started['at'] = datetime.now()
    begin = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            analytics_lines = tasks.read_analytics_file(0, package_id, link, Session())
    except Exception as error:
        traceback.print_exc()
        hint = ' (a line that is not JSON: see --skip-malformed)' if 'JSONDecodeError' in type(error).__name__ else ''
        print(f'[driver] the original failed{hint}', file=sys.stderr)
        return 1
    seconds = time.perf_counter() - begin
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # After the clock: what the original produced.
    with open(os.path.join(output_dir, 'result.sqlite.gz'), 'wb') as out:
        out.write(captured['gz'])
    database = os.path.join(output_dir, 'result.sqlite')
    with open(database, 'wb') as out:
        out.write(gzip.decompress(captured['gz']))
    result = sqlite3.connect(database)
    tables = [name for (name,) in result.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    counts = {name: result.execute(f'SELECT count(*) FROM {name}').fetchone()[0] for name in tables}
    messages = sum(result.execute(f'SELECT coalesce(sum(total_message_count), 0) FROM {name}').fetchone()[0]
                   for name in ('dm_channels_data', 'guild_channels_data'))
    print(f'{seconds:.3f} {peak_mib:.1f} {analytics_lines} {messages}', flush=True)
    log = lambda text: print(f'[driver] {text}', file=sys.stderr)
    log(f'package {package_id}: {analytics_lines} analytics lines read, {messages} messages counted, '
        f'{analytics_lines / seconds:.0f} analytics lines/s, {messages / seconds:.0f} messages/s')
    if args.skip_malformed:
        log(f'{skipped["lines"]} malformed lines skipped')
    log(f'of the {seconds:.3f} s: gzip -9 {spent["gzip"]:.3f} s, AES {spent["encrypt"]:.3f} s; without them '
        f'{seconds - spent["gzip"] - spent["encrypt"]:.3f} s (cordvault\'s analyse() stops at the SQLite file)')
    log(f'import baseline RSS {baseline_mib:.1f} MiB; encrypted blob {uploaded.get("size")} bytes (upload stubbed)')
    log('rows: ' + ', '.join(f'{name}={count}' for name, count in counts.items()))
    log(f'output in {output_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
