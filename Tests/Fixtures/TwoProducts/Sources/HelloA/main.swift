import Greeting

print(greeting(from: "hello-a"))
