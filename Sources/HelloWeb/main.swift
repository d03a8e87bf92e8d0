import HTTPServer
print("Hello world!")
