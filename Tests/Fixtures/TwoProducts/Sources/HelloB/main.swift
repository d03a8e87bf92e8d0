import Greeting

print(greeting(from: "hello-b"))
