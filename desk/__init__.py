"""相談: a resident asks for a person, staff answer by push message from the console.

A domain package (floor 2): records and the reply/delivery logic, no Flask and no conversation code.
"""
