"""Write one value to each of several series at one timestamp:
http://tempo-db.com/api/write-series/#bulk-write-multiple-series
"""

import datetime

from tempodb.demo import connect


def main() -> None:
    client = connect()  # or: Client("your-api-key", "your-api-secret")

    # whole seconds, so the exact lookups below find the points again
    ts = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    data = [
        {"key": "custom-series-key1", "v": 1.11},
        {"key": "custom-series-key2", "v": 2.22},
        {"key": "custom-series-key3", "v": 3.33},
        {"key": "custom-series-key4", "v": 4.44},
    ]
    keys = ["custom-series-key1", "custom-series-key2", "custom-series-key3", "custom-series-key4"]

    client.write_bulk(ts, data)

    # read each value back (write_bulk itself returns nothing)
    for key in keys:
        found = client.single_value_key(key, ts)
        print(key, found.data)

    client.close()


if __name__ == "__main__":
    main()
