#include <iostream>
#include <tapis_auth.hpp>
int main() {
    std::cout << "tapis_auth " << tapis::auth::version() << "\n";
    return tapis::auth::version().empty() ? 1 : 0;
}
