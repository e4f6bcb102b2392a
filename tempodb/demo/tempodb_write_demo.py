"""Write 9 days of minute data into one series: http://tempo-db.com/api/write-series/#write-series-by-key

Run ``python -m tempodb.demo.tempodb_write_demo``, then ``python -m tempodb.demo.tempodb_read_demo``.
"""

import datetime
import random

from tempodb import DataPoint
from tempodb.demo import connect


def main() -> None:
    client = connect()  # or: Client("your-api-key", "your-api-secret")
    random.seed(42)  # the same data on every run

    date = datetime.datetime(2012, 1, 1)

    for _day in range(1, 10):
        # print out the current day we are sending data for
        print(date)

        data = []
        # 1440 minutes in one day
        for _minute in range(1, 1441):
            data.append(DataPoint(date, random.random() * 50.0))
            date = date + datetime.timedelta(minutes=1)

        client.write_key("your-custom-key", data)

    client.close()


if __name__ == "__main__":
    main()
