"""Planted issues for the Python rules."""

import pickle
import subprocess

import requests
import yaml

API_KEY = "q8Xw2LmP9zRt4VbN7sKd"
AWS_ACCESS_KEY_ID = "AKIAQYLPMN5HHHFPZAM2"


def run(cmd, payload, stream, cursor):
    subprocess.run(cmd, shell=True)
    data = pickle.loads(payload)
    config = yaml.load(stream)
    requests.get("http://api.weather.com/v1", verify=False)
    result = eval(cmd)
    cursor.execute(f"SELECT * FROM users WHERE name = '{cmd}'")
    try:
        config.validate()
    except:
        pass
    out = ""
    for line in data:
        out += line + ","   
    return out, result  # TODO: stream the lines
