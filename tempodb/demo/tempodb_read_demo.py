"""Read back one day of the write demo's data: http://tempo-db.com/api/read-series/#read-series-by-key

Run ``python -m tempodb.demo.tempodb_write_demo`` first.
"""

import datetime

from tempodb.demo import connect


def main() -> None:
    client = connect()  # or: Client("your-api-key", "your-api-secret")

    start = datetime.date(2012, 1, 1)
    end = start + datetime.timedelta(days=1)

    data = client.read_key("your-custom-key", start, end)

    for datapoint in data.data:
        print(datapoint)

    # the summary covers the raw points of the range
    print(data.summary)

    client.close()


if __name__ == "__main__":
    main()
